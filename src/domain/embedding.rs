//! A dimension-checked embedding vector.

/// An embedding of the configured dimension with finite components.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Accepts `values` only if it has `dimension` finite components.
    pub fn parse(values: Vec<f32>, dimension: usize) -> Result<Self, String> {
        if values.len() != dimension {
            return Err(format!(
                "expected {dimension} dimensions, got {}",
                values.len()
            ));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err("embedding contains a non-finite value".into());
        }
        Ok(Self(values))
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<f32> {
        self.0
    }
}
