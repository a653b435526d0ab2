# .set and = give a symbol new values; each use sees the one before it
# status: 30
        .globl _start
        n = 1
        .data
a:      .long n, n+1
        n = n * 10
        .set n, n + 5
b:      .long n
        .ascii "n = n"
        .text
_start: movl b(%rip), %edi
        add $n, %edi
        mov $60, %eax
        syscall
