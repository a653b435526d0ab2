# a .data counter and .bss: 3 x 5 + 'A'
# status: 80
        .globl _start
        .data
count:  .quad 3
        .bss
        .lcomm buf, 64
total:  .skip 8
        .text
_start: movq $0, total(%rip)
1:      addq $5, total(%rip)
        decq count(%rip)
        jnz 1b
        lea buf(%rip), %rdi
        movb $'A', (%rdi)
        mov total(%rip), %rdi
        movzbl buf(%rip), %eax
        add %rax, %rdi
        mov $60, %eax
        syscall
