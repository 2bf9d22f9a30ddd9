package kpi

// Sizes of the blocks of an int64s list, in values: the first block of a list holds blockMin, each
// new one as many as the list already has, up to blockMax (64 KiB).
const (
	blockMin = 16
	blockMax = 8192
)

// int64s is a list of integers kept in blocks that are never copied while it grows: a full last
// block is followed by a new one rather than moved into a larger array, and merging another list
// takes its blocks over. Folding the journeys appends millions of durations to many lists; as
// slices they were copied and cleared again at every doubling. flat joins the blocks once, when
// the values are read.
type int64s struct {
	blocks [][]int64
	n      int
}

func (l *int64s) add(v int64) {
	k := len(l.blocks) - 1
	if k < 0 || len(l.blocks[k]) == cap(l.blocks[k]) {
		l.blocks = append(l.blocks, make([]int64, 0, min(max(l.n, blockMin), blockMax)))
		k++
	}
	l.blocks[k] = append(l.blocks[k], v)
	l.n++
}

// merge appends o's values after l's. o must not be used afterwards.
func (l *int64s) merge(o *int64s) {
	if o.n == 0 {
		return
	}
	l.blocks = append(l.blocks, o.blocks...)
	l.n += o.n
}

// flat returns the values in order, in one slice that l keeps (as its one block): the caller may
// reorder it, not grow it.
func (l *int64s) flat() []int64 {
	switch {
	case l.n == 0:
		return nil
	case len(l.blocks) == 1:
		return l.blocks[0]
	}
	d := make([]int64, 0, l.n)
	for _, b := range l.blocks {
		d = append(d, b...)
	}
	l.blocks = [][]int64{d}
	return d
}

// set replaces l's values with v, which l keeps.
func (l *int64s) set(v []int64) {
	l.blocks, l.n = nil, len(v)
	if len(v) > 0 {
		l.blocks = [][]int64{v}
	}
}
