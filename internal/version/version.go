// Package version contains the build version, set with -ldflags at build time.
package version

// Version is replaced by the build with the output of git describe.
var Version = "dev"
