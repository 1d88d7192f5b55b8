package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Parallel GEMM. A product big enough is cut into as many parts as there
// are threads, along m or n, whichever makes the parts pack less twice:
// each part is an independent GEMM on its own rows (or columns) of C, so
// the threads never wait for one another until the end. Cutting along n
// makes every part pack all of A, cutting along m all of B; the smaller of
// the two is the one packed more than once.
//
// The parts run on a few worker goroutines that live for the rest of the
// process once a parallel product has run (at most the thread count less
// one), and on the calling goroutine. A worker busy with another caller's
// product is not waited for: the caller runs that part itself.

var threadSetting atomic.Int64 // 0: GOMAXPROCS

// SetThreads sets the number of goroutines a large GEMM may use; n ≤ 0
// means GOMAXPROCS at the time of each call, the default. It returns the
// previous setting. The worker goroutines a parallel product starts (one
// fewer than the threads it uses) stay, parked when idle, for the life of
// the process; lowering the setting leaves them unused.
func SetThreads(n int) int {
	return int(threadSetting.Swap(int64(max(n, 0))))
}

// Threads returns the number of goroutines a large GEMM may use now.
func Threads() int {
	if n := int(threadSetting.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// minParallelFlops is the size of product below which one thread is
// faster: measured with BenchmarkSgemmThreads, where the fork and join of a
// second thread (about 5–10 µs) stopped paying for itself. A variable only
// so that the benchmark can move it.
var minParallelFlops = 1 << 20

// threadsFor returns how many threads an m×n×k product should use.
func (g *gemmPath) threadsFor(m, n, k int) int {
	t := Threads()
	if t <= 1 {
		return 1
	}
	flops := 2 * float64(m) * float64(n) * float64(k)
	t = min(t, int(flops/float64(minParallelFlops)))
	// Parts smaller than a micro-tile would only add edges.
	t = min(t, max((m+g.mr-1)/g.mr, (n+g.nr-1)/g.nr))
	return max(t, 1)
}

// gemmJob is one parallel product: the arguments, how they are cut, and
// the parts claimed and done. Parts are claimed by atomic increment, by
// the caller and by whichever workers heard of the job, so a busy or slow
// worker never holds a product up: the caller claims what is left.
type gemmJob struct {
	x     gemmArgs
	parts int
	rows  bool // cut along m (else along n)
	step  int  // rows or columns per part, a multiple of MR or NR
	next  atomic.Int64
	left  atomic.Int64 // parts not yet done
	refs  atomic.Int64 // the caller and the workers told of the job; 0 when free
}

// run computes part i.
func (j *gemmJob) run(i int) {
	x := &j.x
	lo := i * j.step
	if j.rows {
		x.p.gm.block(x, lo, min(lo+j.step, x.m), 0, x.n)
	} else {
		x.p.gm.block(x, 0, x.m, lo, min(lo+j.step, x.n))
	}
}

// claim runs parts until none is left to claim. A worker may hear of a job
// after its last part was claimed: it finds nothing to claim. A job is not
// reused while anyone holds a reference, so no one ever sees it refilled.
func (j *gemmJob) claim() {
	for {
		i := int(j.next.Add(1)) - 1
		if i >= j.parts {
			return
		}
		j.run(i)
		j.left.Add(-1)
	}
}

// release drops a reference; the last one returns the job to the free list.
func (j *gemmJob) release() {
	if j.refs.Add(-1) == 0 {
		j.x = gemmArgs{}
		freeJobs.Lock()
		freeJobs.list = append(freeJobs.list, j)
		freeJobs.Unlock()
	}
}

// freeJobs holds the jobs no product is using. Unlike a sync.Pool it is
// never emptied by the garbage collector, so a parallel product in steady
// state allocates nothing; it holds as many jobs as products have run in
// parallel at once.
var freeJobs struct {
	sync.Mutex
	list []*gemmJob
}

func getJob() *gemmJob {
	freeJobs.Lock()
	defer freeJobs.Unlock()
	if n := len(freeJobs.list); n > 0 {
		j := freeJobs.list[n-1]
		freeJobs.list = freeJobs.list[:n-1]
		return j
	}
	return new(gemmJob)
}

func parallelGemm(x *gemmArgs, t int) {
	g := x.p.gm
	j := getJob()
	j.x = *x
	// Packing A again costs m·k per extra part, packing B again k·n.
	j.rows = x.m*x.k > x.k*x.n
	unit, size := g.nr, x.n
	if j.rows {
		unit, size = g.mr, x.m
	}
	units := (size + unit - 1) / unit
	j.step = (units + t - 1) / t * unit
	j.parts = (size + j.step - 1) / j.step
	j.left.Store(int64(j.parts))
	j.next.Store(0)
	j.refs.Store(1)

	startWorkers(t - 1)
	for i := 1; i < j.parts; i++ {
		j.refs.Add(1)
		select {
		case tasks <- j:
		default: // every worker has work queued: the caller will claim it
			j.refs.Add(-1)
		}
	}
	j.claim()
	// The other parts finish within the time of one: spin rather than
	// sleep, since waking a sleeping goroutine can take longer than that.
	for i := 0; j.left.Load() > 0; i++ {
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	// A worker told of the job may not have looked at it yet (it has not
	// been scheduled, or it is busy with another product): give it a
	// moment to let go, so that the job is free for the next product
	// instead of a new one being allocated. One that takes longer frees
	// the job itself when it gets to it.
	for i := 0; i < 4*64 && j.refs.Load() > 1; i++ {
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	j.release()
}

// tasks carries jobs to the workers.
var (
	tasks       = make(chan *gemmJob, 64)
	workersMu   sync.Mutex
	workerCount int
)

// startWorkers makes sure n worker goroutines exist.
func startWorkers(n int) {
	workersMu.Lock()
	defer workersMu.Unlock()
	for ; workerCount < n; workerCount++ {
		go worker()
	}
}

// spinPolls is how many times an idle worker polls for a job before it
// parks: about 50 µs. Waking a parked goroutine takes tens of µs on some
// systems, longer than half of a mid-sized product, and the products of a
// training step come back to back.
const spinPolls = 2000

func worker() {
	for {
		var j *gemmJob
		for i := 0; i < spinPolls && j == nil; i++ {
			select {
			case j = <-tasks:
			default:
				if i%64 == 63 {
					runtime.Gosched()
				}
			}
		}
		if j == nil {
			j = <-tasks
		}
		j.claim()
		j.release()
	}
}
