// noop: exits at once. Its run time is each variant's startup floor.
fn main() {}
