//! Answers are bounded: a body larger than [`MAX_ANSWER`] fails as it arrives, before it fills
//! memory, on both HTTP paths (the SDK's, through [`CapAnswers`], and the token endpoint's).
//! Cognito's answers are a few KiB. Such an answer is not retried: it would come again.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The largest answer body read: 1 MiB.
pub const MAX_ANSWER: u64 = 1 << 20;

/// An answer's body went past [`MAX_ANSWER`] (or announced that it would).
#[derive(Debug, thiserror::Error)]
#[error("the answer exceeded 1 MiB, far more than any Cognito answer; it was not read further")]
pub struct TooLarge;

/// Whether `err`, or an error it wraps, is [`TooLarge`].
pub(crate) fn is_too_large(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<TooLarge>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// `body`, failing with [`TooLarge`] once more than [`MAX_ANSWER`] bytes came, or at once
/// when its length (`Content-Length`) is announced larger.
pub fn cap(body: SdkBody) -> SdkBody {
    SdkBody::from_body_1_x(Capped {
        inner: body,
        read: 0,
    })
}

struct Capped {
    inner: SdkBody,
    read: u64,
}

impl Body for Capped {
    type Data = <SdkBody as Body>::Data;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if self.inner.size_hint().lower() > MAX_ANSWER.saturating_sub(self.read) {
            return Poll::Ready(Some(Err(TooLarge.into())));
        }
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
            self.read += data.map_or(0, |d| d.len() as u64);
            if self.read > MAX_ANSWER {
                return Poll::Ready(Some(Err(TooLarge.into())));
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Caps every answer's body of an SDK client (`interceptor(CapAnswers)` on its config), and
/// forbids retrying an answer that went past the cap (`retry_classifier(CapAnswers)`).
#[derive(Debug)]
pub struct CapAnswers;

impl Intercept for CapAnswers {
    fn name(&self) -> &'static str {
        "CapAnswers"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        let body = response.take_body();
        *response.body_mut() = cap(body);
        Ok(())
    }
}

impl ClassifyRetry for CapAnswers {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(e)) if is_too_large(e) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "CapAnswers"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::byte_stream::ByteStream;

    async fn read(body: SdkBody) -> Result<usize, aws_smithy_types::byte_stream::error::Error> {
        Ok(ByteStream::new(cap(body))
            .collect()
            .await?
            .into_bytes()
            .len())
    }

    #[tokio::test]
    async fn up_to_the_cap_is_read_and_past_it_fails() {
        let limit = MAX_ANSWER as usize;
        assert_eq!(read(SdkBody::from(vec![b'x'; limit])).await.unwrap(), limit);
        let e = read(SdkBody::from(vec![b'x'; limit + 1]))
            .await
            .unwrap_err();
        assert!(is_too_large(&e), "{e:?}");
    }
}
