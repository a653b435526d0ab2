# a .rept table of squares with a reassigned counter: (0+1+...+81) & 0xff
# status: 29
        .globl _start
        .section .rodata
table:
        i = 0
        .rept 10
        .quad i*i
        i = i + 1
        .endr
        .text
_start: lea table(%rip), %rbx
        xor %edi, %edi
        xor %ecx, %ecx
1:      add (%rbx,%rcx,8), %rdi
        inc %ecx
        cmp $10, %ecx
        jne 1b
        mov $60, %eax         # 285 & 0xff = 29
        syscall
