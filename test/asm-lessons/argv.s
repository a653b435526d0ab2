# print each argument on its own line
# status: 0
        .globl _start
        .text
_start: mov (%rsp), %r12          # argc
        lea 8(%rsp), %r13         # argv
1:      test %r12, %r12
        jz 9f
        mov (%r13), %rsi
        xor %edx, %edx
2:      cmpb $0, (%rsi,%rdx)
        je 3f
        inc %rdx
        jmp 2b
3:      movb $10, (%rsi,%rdx)     # the NUL becomes a newline
        inc %rdx
        mov $1, %eax
        mov $1, %edi
        syscall
        add $8, %r13
        dec %r12
        jmp 1b
9:      mov $60, %eax
        xor %edi, %edi
        syscall
