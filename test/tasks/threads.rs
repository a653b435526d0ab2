// std::thread, Arc<Mutex>, mpsc channels (test/tasks.test.ts builds it with -C target-feature=+crt-static)
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
fn main() {
    let c = Arc::new(Mutex::new(0));
    let mut hs = vec![];
    for i in 0..8 {
        let c = Arc::clone(&c);
        hs.push(thread::spawn(move || { for _ in 0..1000 { *c.lock().unwrap() += 1; } i * 2 }));
    }
    let s: i32 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    let (tx, rx) = mpsc::channel();
    for i in 0..4 { let tx = tx.clone(); thread::spawn(move || tx.send(i).unwrap()); }
    drop(tx);
    let t: i32 = rx.iter().sum();
    println!("count={} sum={} chan={}", *c.lock().unwrap(), s, t);
}
