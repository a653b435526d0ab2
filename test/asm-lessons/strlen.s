# argv-style pointer table in .data, a strlen subroutine, .type/.size/.p2align/.comm/.balign
# status: 115
        .global _start
        .type _start, @function
        .section .data
ptrs:   .quad m1, m2, 0
m1:     .asciz "first\n"
m2:     .string "second\n"
        .section .text
strlen: xorl %eax, %eax
1:      cmpb $0, (%rdi,%rax,1)
        je 2f
        incq %rax
        jmp 1b
2:      retq
_start: leaq ptrs(%rip), %rbx
.Lloop: movq (%rbx), %rsi
        testq %rsi, %rsi
        jz .Ldone
        movq %rsi, %rdi
        callq strlen
        movq %rax, %rdx
        movl $1, %eax
        movl $1, %edi
        syscall
        addq $8, %rbx
        jmp .Lloop
.Ldone: movq -8(%rbx), %rdi
        movzbl (%rdi), %edi
        movl $60, %eax
        syscall
        .size _start, . - _start
        .p2align 4
        .comm scratch, 32, 16
        .byte 'a', '\n', 0x7f, -1
        .balign 8
        .word 0x1234
