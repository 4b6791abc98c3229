//! Integers in JSON bodies as JSON Schema counts them: `5` and `5.0` are the same integer.
//!
//! serde refuses `5.0` for an integer field, while the API description (and every JSON Schema
//! validator a client may check its request with) calls it an integer; a client must not be
//! refused for a request its own validator accepts.

use serde::{Deserialize, Deserializer, de::Error};

/// `deserialize_with` for an optional integer field: accepts any JSON number with no
/// fractional part that fits `T`; anything else is a type error naming the value.
pub fn optional_integer<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    });
    whole
        .and_then(|i| T::try_from(i).ok())
        .map(Some)
        .ok_or_else(|| {
            D::Error::custom(format!("invalid value: {n}, expected an integer in range"))
        })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::optional_integer")]
        limit: Option<u32>,
    }

    fn limit(json: &str) -> Result<Option<u32>, serde_json::Error> {
        serde_json::from_str::<Body>(json).map(|b| b.limit)
    }

    #[test]
    fn whole_numbers_are_integers_whatever_their_spelling() {
        assert_eq!(limit(r#"{"limit": 5}"#).unwrap(), Some(5));
        assert_eq!(limit(r#"{"limit": 5.0}"#).unwrap(), Some(5));
        assert_eq!(limit(r#"{"limit": 5e0}"#).unwrap(), Some(5));
        assert_eq!(limit(r#"{"limit": null}"#).unwrap(), None);
        assert_eq!(limit(r#"{}"#).unwrap(), None);
    }

    #[test]
    fn fractions_strings_and_out_of_range_numbers_are_refused() {
        for bad in [
            r#"{"limit": 5.5}"#,
            r#"{"limit": "5"}"#,
            r#"{"limit": -1}"#,
            r#"{"limit": 1e300}"#,
        ] {
            assert!(limit(bad).is_err(), "{bad}");
        }
    }
}
