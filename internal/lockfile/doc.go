// Package lockfile takes exclusive, process-lifetime locks on files (flock), naming the holder so a
// second process can say who has the lock.
package lockfile
