# recursion on the stack: factorial(5)
# status: 120
# recursion: factorial(5) = 120
        .globl _start
        .text
fact:   cmp $1, %rdi
        jbe 1f
        push %rdi
        dec %rdi
        call fact
        pop %rdi
        imul %rdi, %rax
        ret
1:      mov $1, %eax
        ret
_start: mov $5, %edi
        call fact
        mov %eax, %edi
        mov $60, %eax
        syscall
