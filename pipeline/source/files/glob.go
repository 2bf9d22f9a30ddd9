package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// file is one matched input file.
type file struct {
	fsys fs.FS
	name string // inside fsys
	path string // as shown to the user
	size int64
	// mtime is the modification time; zero where the file system has none (an embedded sample).
	mtime  time.Time
	format string // parquet | csv | ndjson
	gzip   bool
	// real identifies the file behind its path: its absolute path with symbolic links resolved
	// (on the OS file system), so that a file reached twice is read once.
	real string
	// partition is the hive date= (or dt=) day of the file's folder; zero when none.
	partition time.Time
}

// hasMeta reports whether a path segment is a pattern rather than a literal name.
func hasMeta(seg string) bool { return strings.ContainsAny(seg, `*?[\`) }

// expand resolves one path or glob into the files it matches, sorted by path. A pattern matching
// nothing is an error naming the pattern.
func (s *Source) expand(pattern string) ([]file, error) {
	var (
		fsys    fs.FS
		root    string // directory inside fsys where matching starts
		display func(name string) string
		segs    []string
	)
	if s.opts.FS != nil {
		p := strings.TrimPrefix(path.Clean(filepath.ToSlash(pattern)), "./")
		if !fs.ValidPath(p) {
			return nil, fmt.Errorf("files: %q is not a valid path inside the embedded file system", pattern)
		}
		all := strings.Split(p, "/")
		n := staticPrefix(all)
		fsys, root, segs = s.opts.FS, path.Join(all[:n]...), all[n:]
		if root == "" {
			root = "."
		}
		display = func(name string) string { return name }
	} else {
		p := filepath.ToSlash(filepath.Clean(pattern))
		abs := strings.HasPrefix(p, "/")
		all := strings.Split(strings.TrimPrefix(p, "/"), "/")
		n := staticPrefix(all)
		dir := strings.Join(all[:n], "/")
		if abs {
			dir = "/" + dir
		} else if dir == "" {
			dir = "."
		}
		segs = all[n:]
		if len(segs) == 0 {
			// A literal file path: its parent directory is the root.
			dir, segs = path.Dir(dir), []string{path.Base(dir)}
			if abs && dir == "" {
				dir = "/"
			}
		}
		fsys, root = os.DirFS(filepath.FromSlash(dir)), "."
		base := filepath.FromSlash(dir)
		display = func(name string) string { return filepath.Join(base, filepath.FromSlash(name)) }
	}
	if len(segs) == 0 {
		// A literal path inside the FS: match it as the last segment of its parent.
		segs = []string{path.Base(root)}
		root = path.Dir(root)
	}
	var names []string
	if err := walkMatch(fsys, root, segs, &names); err != nil {
		return nil, fmt.Errorf("files: %s: %w", pattern, err)
	}
	if len(names) == 0 {
		if s.opts.FS == nil && !filepath.IsAbs(pattern) {
			wd, _ := os.Getwd()
			return nil, &Error{Err: fmt.Errorf("files: no file matches %q (relative paths are taken from the working directory, %s)", pattern, wd), NoMatch: true}
		}
		return nil, &Error{Err: fmt.Errorf("files: no file matches %q", pattern), NoMatch: true}
	}
	out := make([]file, 0, len(names))
	for _, name := range names {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		f := file{fsys: fsys, name: name, path: display(name), size: info.Size(), mtime: info.ModTime()}
		f.real = f.path
		if s.opts.FS == nil {
			if r, err := filepath.EvalSymlinks(f.path); err == nil {
				if abs, err := filepath.Abs(r); err == nil {
					f.real = abs
				}
			}
		}
		// The date= folder may be above the walk's root, so it is looked for in the whole path.
		f.partition = partitionDay(filepath.ToSlash(f.path))
		if f.format, f.gzip, err = formatOf(s.cfg.Format, name); err != nil {
			return nil, &Error{Err: fmt.Errorf("files: %s: %w", f.path, err)}
		}
		out = append(out, f)
	}
	return out, nil
}

// staticPrefix is the number of leading segments that contain no pattern characters.
func staticPrefix(segs []string) int {
	for i, s := range segs {
		if hasMeta(s) {
			return i
		}
	}
	return len(segs)
}

// walkMatch appends to out the regular files under dir that match segs. "**" matches any number
// of folders. A wildcard never matches names starting with "." or "_" (the _SUCCESS and .crc
// files that Spark and Hadoop leave next to data files).
func walkMatch(fsys fs.FS, dir string, segs []string, out *[]string) error {
	seg := segs[0]
	last := len(segs) == 1
	if seg == "**" {
		if last {
			return walkMatch(fsys, dir, []string{"*"}, out)
		}
		if err := walkMatch(fsys, dir, segs[1:], out); err != nil {
			return err
		}
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.IsDir() && !hidden(e.Name()) {
				if err := walkMatch(fsys, path.Join(dir, e.Name()), segs, out); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if !hasMeta(seg) {
		name := path.Join(dir, seg)
		info, err := fs.Stat(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case last && info.Mode().IsRegular():
			*out = append(*out, name)
		case !last && info.IsDir():
			return walkMatch(fsys, name, segs[1:], out)
		}
		return nil
	}
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries { // ReadDir sorts by name
		if hidden(e.Name()) {
			continue
		}
		ok, err := path.Match(seg, e.Name())
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		name := path.Join(dir, e.Name())
		switch {
		case last && e.Type().IsRegular():
			*out = append(*out, name)
		case last && e.Type()&fs.ModeSymlink != 0:
			if info, err := fs.Stat(fsys, name); err == nil && info.Mode().IsRegular() {
				*out = append(*out, name)
			}
		case !last && (e.IsDir() || e.Type()&fs.ModeSymlink != 0):
			if err := walkMatch(fsys, name, segs[1:], out); err != nil {
				return err
			}
		}
	}
	return nil
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

// formatOf decides a file's format from the configured one and its name.
func formatOf(configured, name string) (format string, gz bool, err error) {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".gz") {
		gz = true
		lower = strings.TrimSuffix(lower, ".gz")
	}
	switch configured {
	case "", "auto":
		switch {
		case strings.HasSuffix(lower, ".parquet"), strings.HasSuffix(lower, ".pq"):
			format = "parquet"
		case strings.HasSuffix(lower, ".csv"):
			format = "csv"
		case strings.HasSuffix(lower, ".ndjson"), strings.HasSuffix(lower, ".jsonl"), strings.HasSuffix(lower, ".json"):
			format = "ndjson"
		default:
			return "", false, errors.New("cannot tell the format from the file name (.parquet, .pq, .csv, .ndjson, .jsonl, optionally .gz); set files.format")
		}
	case "parquet", "csv", "ndjson":
		format = configured
	default:
		return "", false, fmt.Errorf("%q is not a format (auto | parquet | csv | ndjson)", configured)
	}
	if gz && format == "parquet" {
		return "", false, errors.New("gzip-compressed Parquet is not supported (Parquet compresses its own pages)")
	}
	return format, gz, nil
}

var partitionRE = regexp.MustCompile(`^(?:date|dt)=(\d{4}-\d{2}-\d{2})$`)

// partitionDay returns the day of the innermost hive date= or dt= folder in p, or the zero time.
func partitionDay(p string) time.Time {
	dirs := strings.Split(path.Dir(p), "/")
	for i := len(dirs) - 1; i >= 0; i-- {
		if m := partitionRE.FindStringSubmatch(dirs[i]); m != nil {
			d, err := time.Parse(time.DateOnly, m[1])
			if err == nil {
				return d
			}
		}
	}
	return time.Time{}
}

// pruned reports whether a file in the hive partition of day d can hold no row of r. Partition
// days are often UTC dates while the range is cut in the report time zone, so a partition is kept
// when [d-1 day, d+2 days) overlaps r.
func pruned(d time.Time, r span) bool {
	if d.IsZero() {
		return false
	}
	lo, hi := d.AddDate(0, 0, -1), d.AddDate(0, 0, 2)
	if !r.end.IsZero() && !lo.Before(r.end) {
		return true
	}
	if !r.start.IsZero() && !hi.After(r.start) {
		return true
	}
	return false
}

// match resolves every configured pattern, removes duplicates (a file reached by two patterns,
// or through a symbolic link, is read once, under the path sorting first) and splits the files
// into those to read for r and those pruned by their date= folder.
func (s *Source) match(r span) (read, skip []file, err error) {
	var all []file
	for _, p := range s.cfg.Paths {
		fs, err := s.expand(p)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, fs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].path < all[j].path })
	seen := map[string]bool{}
	unique := all[:0]
	for _, f := range all {
		if !seen[f.real] {
			seen[f.real] = true
			unique = append(unique, f)
		}
	}
	for _, f := range unique {
		if pruned(f.partition, r) {
			skip = append(skip, f)
		} else {
			read = append(read, f)
		}
	}
	return read, skip, nil
}
