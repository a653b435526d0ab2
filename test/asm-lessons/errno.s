# write(99, ...) fails: rax = -EBADF, exit(9)
# status: 9
# write to a closed fd: rax = -EBADF; exit with -rax
        .globl _start
_start: mov $1, %eax
        mov $99, %edi
        lea _start(%rip), %rsi
        mov $1, %edx
        syscall
        neg %rax
        mov %rax, %rdi
        mov $60, %eax
        syscall
