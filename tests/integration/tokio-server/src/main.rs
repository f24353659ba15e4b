// The usual way a Tokio server limits its connections: a semaphore permit
// taken before accept(), given back when the connection ends. At the
// limit its accept loop waits for a permit, not in accept(), while the
// kernel goes on queueing connections. Each connection is read until the
// client closes it; nothing is ever answered.
//
// usage: tl-tokio-server PORT LIMIT SECONDS (exits after SECONDS)
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

#[tokio::main(worker_threads = 2)]
async fn main() {
    let arg = |i: usize| -> u64 {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .expect("usage: tl-tokio-server PORT LIMIT SECONDS")
    };
    let (port, limit, seconds) = (arg(1) as u16, arg(2) as usize, arg(3));
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let permits = Arc::new(Semaphore::new(limit));
    let serve = async {
        loop {
            let permit = permits.clone().acquire_owned().await.unwrap();
            let (mut conn, _) = match listener.accept().await {
                Ok(c) => c,
                Err(_) => continue,
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = conn.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
                drop(permit);
            });
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(seconds), serve).await;
}
