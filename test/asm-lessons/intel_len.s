# Intel syntax with constants: mov edx, len is an immediate (len = . - msg), a .bss counter
# status: 110
        .intel_syntax noprefix
        .globl _start
        .section .rodata
msg:    .ascii "Intel!\n"
        len = . - msg
        .bss
cnt:    .skip 8
        .text
_start: mov qword ptr [rip + cnt], 3
again:  mov eax, 1
        mov edi, 1
        lea rsi, [rip + msg]
        mov edx, len
        syscall
        dec qword ptr [cnt + rip]
        jnz again
        mov rax, offset msg
        movzx edi, byte ptr [rax + 1]
        mov eax, 60
        syscall
