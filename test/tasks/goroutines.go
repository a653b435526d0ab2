// Goroutines with GOMAXPROCS 4, channels, WaitGroup, Mutex, GC (test/tasks.test.ts builds it with CGO_ENABLED=0)
package main

import (
	"fmt"
	"runtime"
	"sync"
)

func main() {
	runtime.GOMAXPROCS(4)
	ch := make(chan int, 10)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			s := 0
			for j := 0; j < 100000; j++ {
				s += j % (n + 1)
			}
			ch <- s
		}(i)
	}
	go func() { wg.Wait(); close(ch) }()
	total := 0
	for v := range ch {
		total += v
	}
	var m sync.Mutex
	cnt := 0
	var wg2 sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg2.Add(1)
		go func() { defer wg2.Done(); m.Lock(); cnt++; m.Unlock() }()
	}
	wg2.Wait()
	bufs := make([][]byte, 0)
	for i := 0; i < 200; i++ {
		bufs = append(bufs, make([]byte, 100000))
	}
	runtime.GC()
	fmt.Println("total", total, "cnt", cnt, "bufs", len(bufs))
}
