//! Messages on stderr: `-v` adds what was decided, `-q` drops warnings. Never a secret.

use cognito_refresh::Note;

pub struct Log {
    pub verbose: bool,
    pub quiet: bool,
}

impl Log {
    pub fn info(&self, message: &str) {
        if self.verbose {
            eprintln(&format!("cognito-refresh: {message}"));
        }
    }

    /// Something the user should know happened (a file created), unless `-q`.
    pub fn notice(&self, message: &str) {
        if !self.quiet {
            eprintln(&format!("cognito-refresh: {message}"));
        }
    }

    pub fn warn(&self, message: &str) {
        if !self.quiet {
            eprintln(&format!("cognito-refresh: warning: {message}"));
        }
    }

    /// What the core decided (info) or noticed (warnings).
    pub fn notes(&self, notes: &[Note]) {
        for note in notes {
            match note {
                Note::Info(m) => self.info(m),
                Note::Warning(m) => self.warn(m),
                // A kind of note this build does not know: nothing it can word.
                _ => {}
            }
        }
    }
}

/// The one place that writes to stderr. A closed, full or broken stderr (`2>&-`, `2>/dev/full`,
/// a pipe whose reader is gone) loses the line and nothing else: the error is ignored, never a
/// panic (a panic while reporting one would abort the process).
pub fn eprintln(line: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("{line}\n").as_bytes());
}
