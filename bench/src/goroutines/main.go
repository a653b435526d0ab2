// Go: goroutines on GOMAXPROCS=4 passing work over channels, a map and a
// sync.WaitGroup; the garbage collector runs under it. Argument: jobs.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
)

func main() {
	runtime.GOMAXPROCS(4)
	n := 20000
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil {
			n = v
		}
	}
	jobs := make(chan int, 64)
	results := make(chan [2]uint64, 64)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				h := uint64(14695981039346656037)
				s := strconv.Itoa(j * 7919)
				buf := make([]byte, 0, 64)
				for k := 0; k < 8; k++ {
					buf = append(buf, s...)
				}
				for _, c := range buf {
					h = (h ^ uint64(c)) * 1099511628211
				}
				results <- [2]uint64{uint64(j), h}
			}
		}()
	}
	go func() {
		for j := 0; j < n; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	seen := make(map[uint64]uint64)
	for r := range results {
		seen[r[0]] = r[1]
	}
	keys := make([]uint64, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
	var x uint64
	for _, k := range keys {
		x = x*31 + seen[k]
	}
	fmt.Printf("jobs %d results %d hash %016x\n", n, len(keys), x)
}
