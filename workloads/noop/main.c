/* noop: exits at once. Its run time is each variant's startup floor. */
int main(void) { return 0; }
