# a store to an unmapped page: SIGSEGV
# status: 139
        .globl _start
        .text
_start: movq $1, 0x10
        mov $60, %eax
        syscall
