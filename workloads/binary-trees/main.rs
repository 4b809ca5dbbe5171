// binary-trees: allocates and walks many perfect binary trees, then frees them (after the
// Computer Language Benchmarks Game): a stretch tree of depth N+1, a long-lived tree of depth
// N, and for each depth d = 4, 6, ..., N, 2^(N-d+4) trees of depth d. Every node is its own
// Box, every tree is dropped. Stresses the allocator with many small objects.
// main.c performs the same allocations (malloc) and prints the same bytes.
use std::process::ExitCode;

struct Node {
    children: Option<(Box<Node>, Box<Node>)>,
}

fn bottom_up_tree(depth: u32) -> Box<Node> {
    if depth > 0 {
        Box::new(Node {
            children: Some((bottom_up_tree(depth - 1), bottom_up_tree(depth - 1))),
        })
    } else {
        Box::new(Node { children: None })
    }
}

fn item_check(node: &Node) -> i64 {
    match &node.children {
        None => 1,
        Some((left, right)) => 1 + item_check(left) + item_check(right),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mut max_depth = match args.get(1).map(|s| s.parse::<u32>()) {
        Some(Ok(depth)) if args.len() == 2 && depth <= 30 => depth,
        _ => {
            eprintln!("usage: binary-trees MAX_DEPTH   (0..30)");
            std::process::exit(2); // not ExitCode: on wasm32-wasi it keeps only zero/non-zero
        }
    };
    let min_depth = 4;
    if max_depth < min_depth + 2 {
        max_depth = min_depth + 2;
    }

    let stretch = bottom_up_tree(max_depth + 1);
    println!("stretch tree of depth {}\t check: {}", max_depth + 1, item_check(&stretch));
    drop(stretch);

    let long_lived = bottom_up_tree(max_depth);
    let mut depth = min_depth;
    while depth <= max_depth {
        let iterations = 1i64 << (max_depth - depth + min_depth);
        let mut check = 0;
        for _ in 0..iterations {
            let tree = bottom_up_tree(depth);
            check += item_check(&tree);
        }
        println!("{}\t trees of depth {}\t check: {}", iterations, depth, check);
        depth += 2;
    }
    println!("long lived tree of depth {}\t check: {}", max_depth, item_check(&long_lived));
    ExitCode::SUCCESS
}
