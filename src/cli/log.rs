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

/// The one place that writes to stderr.
#[allow(clippy::print_stderr)]
pub fn eprintln(line: &str) {
    eprintln!("{line}");
}
