# exit with argc
# status: 3
        .globl _start
_start: mov (%rsp), %rdi
        mov $60, %eax
        syscall
