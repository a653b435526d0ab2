# constants from an .include'd file
# status: 42
        .include "macros.inc"
        .globl _start
        .text
_start: mov $SYS_write, %eax
        mov $STDOUT, %edi
        lea m(%rip), %rsi
        mov $(mend - m), %edx
        syscall
        mov $SYS_exit, %eax
        mov $42, %edi
        syscall
        .data
m:      .asciz "included\n"
mend:
