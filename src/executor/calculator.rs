//! `calculator`: arithmetic on two operands, and a safe expression evaluator (no eval: a
//! recursive-descent parser with bounded length and nesting depth).

use serde_json::{Value, json};

use super::{BuiltinTool, OutputBound, num_arg, str_arg, value};
use crate::domain::{NewTool, ToolName};

pub struct Calculator;

const MAX_EXPRESSION: usize = 1_000;
const MAX_DEPTH: usize = 32;
/// Exponents past this are refused: they only produce overflow or denormal noise.
const MAX_EXPONENT: f64 = 1_000.0;

impl BuiltinTool for Calculator {
    fn definition(&self) -> NewTool {
        let two = ["add", "subtract", "multiply", "divide", "power"];
        NewTool {
            name: ToolName::parse("calculator").expect("valid name"),
            description: "Perform arithmetic: add, subtract, multiply, divide, power, square root, \
                          or evaluate a math expression such as (2 + 3) * 4 ^ 2"
                .into(),
            long_description: Some(
                "Binary operations take numbers `a` and `b`; `sqrt` takes `a`; `expression` takes a \
                 string using + - * / % ^, parentheses, and the functions sqrt, abs, ln, log10, sin, \
                 cos, tan, floor, ceil, round, plus the constants pi and e."
                    .into(),
            ),
            category: "math".into(),
            tags: vec!["math".into(), "arithmetic".into(), "calculator".into()],
            examples: vec![
                "add 5 and 3".into(),
                "what is 2 to the power of 10".into(),
                "evaluate (1 + 2) * 3".into(),
            ],
            input_schema: json!({
                "type": "object",
                "properties": {
                    "operation": {
                        "type": "string",
                        "enum": ["add", "subtract", "multiply", "divide", "power", "sqrt", "expression"],
                        "description": "What to compute"
                    },
                    "a": {"type": "number", "description": "First operand"},
                    "b": {"type": "number", "description": "Second operand"},
                    "expression": {"type": "string", "maxLength": MAX_EXPRESSION,
                                   "description": "A math expression, for operation=expression"}
                },
                "required": ["operation"],
                "additionalProperties": false,
                "allOf": [
                    {"if": {"properties": {"operation": {"enum": two}}},
                     "then": {"required": ["a", "b"]}},
                    {"if": {"properties": {"operation": {"const": "sqrt"}}},
                     "then": {"required": ["a"]}},
                    {"if": {"properties": {"operation": {"const": "expression"}}},
                     "then": {"required": ["expression"]}}
                ]
            }),
            output_schema: Some(json!({
                "type": "object",
                "properties": {"value": {"type": "number"}},
                "required": ["value"]
            })),
            version: "1.0.0".into(),
            author: Some("toolbox".into()),
            config: json!({"annotations": {"readOnlyHint": true, "idempotentHint": true, "openWorldHint": false}}),
        }
    }

    // The result is one number: nothing to bound but the expression (length and depth).
    fn run(&self, args: &Value, _: OutputBound) -> Result<Value, String> {
        let op = str_arg(args, "operation")?;
        let result = match op {
            "expression" => evaluate(str_arg(args, "expression")?)?,
            "sqrt" => {
                let a = num_arg(args, "a")?;
                if a < 0.0 {
                    return Err("cannot take the square root of a negative number".into());
                }
                a.sqrt()
            }
            _ => {
                let (a, b) = (num_arg(args, "a")?, num_arg(args, "b")?);
                match op {
                    "add" => a + b,
                    "subtract" => a - b,
                    "multiply" => a * b,
                    "divide" => divide(a, b)?,
                    "power" => power(a, b)?,
                    other => return Err(format!("unknown operation {other:?}")),
                }
            }
        };
        let v = finite(result)?;
        // Whole numbers come back as JSON integers (8, not 8.0) when exactly representable.
        if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            value(v as i64)
        } else {
            value(v)
        }
    }
}

fn divide(a: f64, b: f64) -> Result<f64, String> {
    if b == 0.0 {
        Err("division by zero".into())
    } else {
        Ok(a / b)
    }
}

fn power(a: f64, b: f64) -> Result<f64, String> {
    if b.abs() > MAX_EXPONENT {
        return Err(format!(
            "exponent {b} is too large: at most {MAX_EXPONENT} in absolute value"
        ));
    }
    finite(a.powf(b))
}

fn finite(v: f64) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else if v.is_nan() {
        Err("the result is not a number".into())
    } else {
        Err("the result overflows a 64-bit float".into())
    }
}

/// Evaluates an arithmetic expression.
pub fn evaluate(expr: &str) -> Result<f64, String> {
    if expr.len() > MAX_EXPRESSION {
        return Err(format!(
            "expression is too long: at most {MAX_EXPRESSION} characters"
        ));
    }
    let mut p = Parser {
        chars: expr.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let v = p.expr()?;
    p.skip_ws();
    if p.pos < p.chars.len() {
        return Err(format!(
            "unexpected {:?} at position {}",
            p.chars[p.pos], p.pos
        ));
    }
    finite(v)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(format!(
                "expression is nested too deeply: at most {MAX_DEPTH} levels"
            ))
        } else {
            Ok(())
        }
    }

    // expr := term (('+' | '-') term)*
    fn expr(&mut self) -> Result<f64, String> {
        self.enter()?;
        let mut v = self.term()?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.pos += 1;
            let r = self.term()?;
            v = if c == '+' { v + r } else { v - r };
        }
        self.depth -= 1;
        Ok(v)
    }

    // term := unary (('*' | '/' | '%') unary)*
    fn term(&mut self) -> Result<f64, String> {
        let mut v = self.unary()?;
        while let Some(c @ ('*' | '/' | '%')) = self.peek() {
            self.pos += 1;
            let r = self.unary()?;
            v = match c {
                '*' => v * r,
                '/' => divide(v, r)?,
                _ => {
                    if r == 0.0 {
                        return Err("modulo by zero".into());
                    }
                    v % r
                }
            };
        }
        Ok(v)
    }

    // unary := '-' unary | power
    fn unary(&mut self) -> Result<f64, String> {
        if let Some(c @ ('-' | '+')) = self.peek() {
            self.pos += 1;
            self.enter()?;
            let v = self.unary()?;
            self.depth -= 1;
            return Ok(if c == '-' { -v } else { v });
        }
        self.power()
    }

    // power := atom ('^' unary)?   (right-associative)
    fn power(&mut self) -> Result<f64, String> {
        let base = self.atom()?;
        if self.peek() == Some('^') {
            self.pos += 1;
            self.enter()?;
            let exp = self.unary()?;
            self.depth -= 1;
            return power(base, exp);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<f64, String> {
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let v = self.expr()?;
                if self.peek() != Some(')') {
                    return Err(format!("expected ')' at position {}", self.pos));
                }
                self.pos += 1;
                Ok(v)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() => self.name(),
            Some(c) => Err(format!("unexpected {c:?} at position {}", self.pos)),
            None => Err("unexpected end of expression".into()),
        }
    }

    fn number(&mut self) -> Result<f64, String> {
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_digit() || *c == '.')
        {
            self.pos += 1;
        }
        if matches!(self.chars.get(self.pos), Some('e' | 'E'))
            && self
                .chars
                .get(self.pos + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == '-' || *c == '+')
        {
            self.pos += 2;
            while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse()
            .map_err(|_| format!("invalid number {text:?} at position {start}"))
    }

    fn name(&mut self) -> Result<f64, String> {
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        match name.as_str() {
            "pi" => return Ok(std::f64::consts::PI),
            "e" => return Ok(std::f64::consts::E),
            _ => {}
        }
        if self.peek() != Some('(') {
            return Err(format!("unknown name {name:?} at position {start}"));
        }
        self.pos += 1;
        let arg = self.expr()?;
        if self.peek() != Some(')') {
            return Err(format!("expected ')' at position {}", self.pos));
        }
        self.pos += 1;
        let v = match name.as_str() {
            "sqrt" if arg < 0.0 => return Err("square root of a negative number".into()),
            "sqrt" => arg.sqrt(),
            "abs" => arg.abs(),
            "ln" => arg.ln(),
            "log10" => arg.log10(),
            "sin" => arg.sin(),
            "cos" => arg.cos(),
            "tan" => arg.tan(),
            "floor" => arg.floor(),
            "ceil" => arg.ceil(),
            "round" => arg.round(),
            _ => return Err(format!("unknown function {name:?} at position {start}")),
        };
        finite(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_with_precedence_and_associativity() {
        assert_eq!(evaluate("2 + 3 * 4").unwrap(), 14.0);
        assert_eq!(evaluate("(2 + 3) * 4").unwrap(), 20.0);
        assert_eq!(evaluate("2 ^ 3 ^ 2").unwrap(), 512.0);
        assert_eq!(evaluate("-2 ^ 2").unwrap(), -4.0);
        assert_eq!(evaluate("10 % 4 + sqrt(16)").unwrap(), 6.0);
        assert!((evaluate("2 * pi").unwrap() - std::f64::consts::TAU).abs() < 1e-12);
        assert_eq!(evaluate("1.5e3").unwrap(), 1500.0);
    }

    #[test]
    fn refuses_what_it_cannot_evaluate_safely() {
        assert!(evaluate("1 / 0").unwrap_err().contains("division by zero"));
        assert!(evaluate("2 ^ 100000").unwrap_err().contains("too large"));
        assert!(evaluate(&"(".repeat(100)).unwrap_err().contains("nested"));
        assert!(
            evaluate(&"1+".repeat(600))
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            evaluate("system(1)")
                .unwrap_err()
                .contains("unknown function")
        );
        assert!(evaluate("2 +").is_err());
        assert!(evaluate("2 3").is_err());
        assert!(
            evaluate("10 ^ 300 * 10 ^ 300")
                .unwrap_err()
                .contains("overflow")
        );
    }
}
