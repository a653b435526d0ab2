# read(2) stdin, uppercase it, write it back
# status: 0
# echo stdin to stdout, uppercased
        .globl _start
        .bss
        .lcomm buf, 256
        .text
_start:
1:      xor %eax, %eax
        xor %edi, %edi
        lea buf(%rip), %rsi
        mov $256, %edx
        syscall
        test %rax, %rax
        jle 9f
        mov %rax, %rdx
        xor %ecx, %ecx
2:      movb (%rsi,%rcx), %al
        cmp $'a', %al
        jb 3f
        cmp $'z', %al
        ja 3f
        sub $32, %al
        movb %al, (%rsi,%rcx)
3:      inc %rcx
        cmp %rdx, %rcx
        jb 2b
        mov $1, %eax
        mov $1, %edi
        syscall
        jmp 1b
9:      mov $60, %eax
        xor %edi, %edi
        syscall
