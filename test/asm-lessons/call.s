# call/ret and push/pop around a call: square(7) - 40
# status: 9
        .globl _start
        .text
square: mov %rdi, %rax
        imul %rdi, %rax
        ret
_start: mov $7, %edi
        call square
        mov %rax, %rdi
        push %rdi
        call square
        pop %rdi
        sub $40, %rdi
        mov $60, %eax
        syscall
