# write(2) a message from .rodata, exit(0)
# status: 0
        .globl _start
        .text
_start: mov $1, %eax
        mov $1, %edi
        lea msg(%rip), %rsi
        mov $len, %edx
        syscall
        mov $60, %eax
        xor %edi, %edi
        syscall
        .section .rodata
msg:    .ascii "hi there\n"
        len = . - msg
