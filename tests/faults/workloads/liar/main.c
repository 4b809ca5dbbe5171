/* Exits 0 but prints the wrong answer: a timing of it must never count. */
#include <stdio.h>

int main(void) {
    printf("42\n");
    return 0;
}
