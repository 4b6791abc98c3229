//! A dimension-checked embedding vector.

/// An embedding of the configured dimension with finite components, not all zero.
///
/// Search compares embeddings by cosine, which a zero vector has no value for: PostgreSQL
/// answers NaN and the tool sorts past every threshold, so it could never be found. Such a
/// vector is refused here rather than stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Accepts `values` only if it has `dimension` finite components, not all zero.
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
        if values.iter().all(|v| *v == 0.0) {
            return Err("embedding is all zeros (it has no direction to compare)".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_or_non_finite_vector_is_refused() {
        assert!(Embedding::parse(vec![0.0; 3], 3).is_err());
        assert!(Embedding::parse(vec![0.0, f32::NAN, 1.0], 3).is_err());
        assert!(Embedding::parse(vec![0.0, 0.0, 1e-30], 3).is_ok());
    }
}
