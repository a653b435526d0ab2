# a call to a symbol nothing defines: the link fails
# error: 4
        .globl _start
_start: call nowhere
        mov $60, %eax
        syscall
