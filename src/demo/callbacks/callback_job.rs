// The job in callback style: each step registers the next one and returns.
use super::cb_loop::Loop;
use super::services::{Done, fetch_config, fetch_data, save_report};

pub fn job(lp: &mut Loop, done: Done) {
    fetch_config(lp, move |lp, config| {
        let config = match config {
            Ok(config) => config,
            Err(e) => return done(lp, Err(e)),
        };
        // Step 3 needs `config` too: move it along by hand.
        let source = config.source.clone();
        fetch_data(lp, &source, move |lp, data| {
            let data = match data {
                Ok(data) => data,
                Err(e) => return done(lp, Err(e)),
            };
            save_report(lp, &config, data, move |lp, saved| done(lp, saved));
        });
    });
}

// Step 2's callback forgets the check and uses the data.
pub fn job_unchecked(lp: &mut Loop, done: Done) {
    fetch_config(lp, move |lp, config| {
        let config = match config {
            Ok(config) => config,
            Err(e) => return done(lp, Err(e)),
        };
        let source = config.source.clone();
        fetch_data(lp, &source, move |lp, data| {
            let data = data.unwrap(); // forgot to check
            save_report(lp, &config, data, move |lp, saved| done(lp, saved));
        });
    });
}

// Step 2's callback checks, but drops the error silently.
pub fn job_forgetful(lp: &mut Loop, done: Done) {
    fetch_config(lp, move |lp, config| {
        let config = match config {
            Ok(config) => config,
            Err(e) => return done(lp, Err(e)),
        };
        let source = config.source.clone();
        fetch_data(lp, &source, move |lp, data| {
            if let Ok(data) = data {
                save_report(lp, &config, data, move |lp, saved| done(lp, saved));
            }
            // No `else`: an error stops here, silently.
        });
    });
}
