# .intel_syntax noprefix: 10 + 9 + ... + 1
# status: 55
        .intel_syntax noprefix
        .globl _start
        .text
_start: mov rcx, 10
        xor eax, eax
1:      add rax, rcx
        loop 1b
        mov rdi, rax
        and edi, 0xff
        mov eax, 60
        syscall
