//! Headless Chromium for the browser tests: find it (or fail when `METRICDICT_REQUIRE_BROWSER`
//! is set), launch it, drive a tab, take screenshots into `target/screenshots/`.

use super::repo;
use headless_chrome::protocol::cdp::Input;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn chromium() -> Option<PathBuf> {
    let found = [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("METRICDICT_REQUIRE_BROWSER").is_none(),
            "METRICDICT_REQUIRE_BROWSER is set but no Chromium is installed"
        );
        eprintln!("no Chromium found; browser test skipped (apt-get install -y chromium)");
    }
    found
}

pub const MAX_BROWSERS: usize = 3;
static RUNNING: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

struct Permit;

impl Permit {
    fn take() -> Permit {
        let (lock, cv) = &RUNNING;
        let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= MAX_BROWSERS {
            n = cv.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Permit
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let (lock, cv) = &RUNNING;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        cv.notify_one();
    }
}

/// A browser for one test. At most [`MAX_BROWSERS`] run at once in a test binary (on a 2-core
/// CI runner, nine Chromiums side by side time out waiting for their pages): the test's thread
/// holds a permit until it ends.
pub fn launch(path: PathBuf) -> Browser {
    HELD.with(|held| {
        if held.borrow().is_none() {
            *held.borrow_mut() = Some(Permit::take());
        }
    });
    launch_browser(path)
}

thread_local! {
    static HELD: std::cell::RefCell<Option<Permit>> = const { std::cell::RefCell::new(None) };
}

fn launch_browser(path: PathBuf) -> Browser {
    let profile = tempfile::tempdir().unwrap().keep();
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    Browser::new(
        LaunchOptions::default_builder()
            .path(Some(path))
            .sandbox(false)
            .headless(true)
            .window_size(Some((1400, 900)))
            .user_data_dir(Some(profile))
            .idle_browser_timeout(Duration::from_secs(120))
            .args(args)
            .build()
            .unwrap(),
    )
    .expect("chromium starts")
}

pub fn open(tab: &Arc<Tab>, url: &str) {
    // Poll the document instead of waiting for headless_chrome's navigation event, which a
    // page that finishes loading quickly can send before the wait begins.
    tab.navigate_to(url).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let want = url.split('#').next().unwrap_or(url);
    loop {
        let state = tab
            .evaluate("document.readyState + ' ' + location.href", false)
            .ok()
            .and_then(|r| r.value)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        // The page's script may rewrite the query string (filters), never the path.
        let path = |u: &str| u.split(['?', '#']).next().unwrap_or("").to_string();
        if state.starts_with("complete ")
            && (path(&state[9..]) == path(want) || !want.starts_with("http"))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{url} never finished loading: {state}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tab.wait_for_element("body").unwrap();
}

pub fn eval(tab: &Arc<Tab>, js: &str) -> Value {
    tab.evaluate(js, false)
        .unwrap()
        .value
        .unwrap_or(Value::Null)
}

/// Keys of the table rows a person can see.
pub fn visible_keys(tab: &Arc<Tab>) -> Vec<String> {
    let v = eval(tab, "JSON.stringify([...document.querySelectorAll('tr[data-key]')].filter(r => r.offsetParent !== null && !r.hidden).map(r => r.dataset.key))");
    serde_json::from_str(v.as_str().unwrap()).unwrap()
}

pub fn screenshot(tab: &Arc<Tab>, name: &str) {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    let dir = repo().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Wait until the elements carrying `data-search-result` are exactly `expected`, in order.
/// Equal-score neighbours may swap (both engines break ties by catalog order, but f32 sums
/// in a different order can differ in the last bit), so compare score runs as sets.
pub fn wait_for_results(tab: &Arc<Tab>, expected: &[String]) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut got: Vec<String> = Vec::new();
    while std::time::Instant::now() < deadline {
        let v = eval(tab, "JSON.stringify([...document.querySelectorAll('[data-search-result]')].filter(e => !e.hidden).map(e => e.getAttribute('data-search-result')))");
        got = serde_json::from_str(v.as_str().unwrap_or("[]")).unwrap_or_default();
        if got == expected {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if sorted(got.clone()) == sorted(expected.to_vec()) && got.first() == expected.first() {
        return; // same results, same best match; only tied neighbours differ
    }
    panic!("search results\n got: {got:?}\nwant: {expected:?}");
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// axe-core's script (installed by .ci/run into target/axe), or None when it is missing and
/// `METRICDICT_REQUIRE_BROWSER` is not set (then the caller skips its accessibility check).
pub fn axe_source() -> Option<String> {
    let axe_path = repo().join("target/axe/node_modules/axe-core/axe.min.js");
    let found = std::fs::read_to_string(&axe_path).ok();
    if found.is_none() {
        assert!(
            std::env::var_os("METRICDICT_REQUIRE_BROWSER").is_none(),
            "axe-core missing at {}",
            axe_path.display()
        );
        eprintln!("axe-core not installed (npm install --prefix target/axe axe-core@4); accessibility check skipped");
    }
    found
}

/// The serious and critical axe violations of the page open in `tab` (id, help, first nodes).
pub fn axe_violations(tab: &Arc<Tab>, axe: &str) -> Vec<Value> {
    tab.evaluate(axe, false).unwrap();
    let result = tab
        .evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))",
            true,
        )
        .unwrap();
    let text = result
        .value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

/// Types `q` into the search box: all but the last character as one text input (headless_chrome
/// spends ~200 ms per key event), the last as a key press, as a person finishes typing.
pub fn type_query(tab: &Arc<Tab>, q: &str) -> String {
    eval(
        tab,
        "(() => { const b = document.querySelector('#q'); b.value = ''; b.focus(); return 1; })()",
    );
    let split = q.char_indices().last().map_or(0, |(i, _)| i);
    tab.call_method(Input::InsertText {
        text: q[..split].to_string(),
    })
    .unwrap();
    tab.type_str(&q[split..]).unwrap();
    first_result(tab, q)
}

/// The first row the search ranks, once the results for `q` are shown.
pub fn first_result(tab: &Arc<Tab>, q: &str) -> String {
    let js = "(() => { const r = [...document.querySelectorAll('[data-search-result]')].filter(e => !e.hidden); \
              return r.length ? r[0].getAttribute('data-search-result') : ''; })()";
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = eval(tab, "new URLSearchParams(location.search).get('q') || ''");
        let first = eval(tab, js).as_str().unwrap_or("").to_string();
        if (url == q && !first.is_empty()) || Instant::now() > deadline {
            return first;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Lay the page out at `width` CSS pixels (not as a mobile browser, which would zoom out to
/// fit a page wider than the screen and hide the overflow a test looks for).
pub fn set_width(tab: &Arc<Tab>, width: u32) {
    set_viewport(tab, width, 900, false);
}

/// Emulate a `width` × `height` screen; `mobile` also emulates touch and the viewport meta tag.
pub fn set_viewport(tab: &Arc<Tab>, width: u32, height: u32, mobile: bool) {
    use headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride;
    tab.call_method(SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
}
