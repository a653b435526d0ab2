# a line as does not take: the error names file:line
# error: 6
        .globl _start
        .text
_start: mov $60, %eax
        movx %eax, %ebx
        syscall
