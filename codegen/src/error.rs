//! Errors in a kernel's source, each with the span it is about.

use proc_macro2::Span;

/// One problem in a kernel, at a span of the user's source.
#[derive(Clone, Debug)]
pub struct Error {
    /// Where the problem is.
    pub span: Span,
    /// What is wrong and what to write instead.
    pub message: String,
    /// The error is a call of a function that is none of the language's and none of the
    /// helpers the kernel was compiled with: `#[compute_kernel]`'s helper chain may still
    /// bring it, so the macro reports the kernel's other errors first and only then looks.
    pub unknown_call: bool,
}

impl Error {
    /// An error at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Error {
            span,
            message: message.into(),
            unknown_call: false,
        }
    }

    /// The error of a call at `span` of a function that may be a helper not yet given.
    pub fn unknown_call(span: Span, message: impl Into<String>) -> Self {
        Error {
            unknown_call: true,
            ..Error::new(span, message)
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let start = self.span.start();
        if start.line > 0 {
            write!(f, "{}:{}: {}", start.line, start.column + 1, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Every error found in a kernel, in source order. Never empty.
#[derive(Clone, Debug)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// All errors as one `syn::Error`, so a proc macro reports each at its own span.
    pub fn to_syn(&self) -> syn::Error {
        let mut iter = self.0.iter();
        let first = iter.next().expect("Errors is never empty");
        let mut res = syn::Error::new(first.span, &first.message);
        for e in iter {
            res.combine(syn::Error::new(e.span, &e.message));
        }
        res
    }
}

impl std::fmt::Display for Errors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

impl From<syn::Error> for Errors {
    fn from(e: syn::Error) -> Self {
        Errors(
            e.into_iter()
                .map(|e| Error::new(e.span(), e.to_string()))
                .collect(),
        )
    }
}
