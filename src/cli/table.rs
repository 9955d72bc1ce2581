//! Tables as operators read them: a header, then columns as wide as their
//! widest cell. An empty table still prints its header, so "nothing" is
//! visible as such.

/// Prints `rows` under `headers`; the last column is not padded.
pub fn print(headers: &[&str], rows: &[Vec<String>]) {
    print!("{}", render(headers, rows));
}

fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let text = render(
            &["NAME", "STATE", "EMAIL"],
            &[
                vec!["alice".into(), "active".into(), "a@example.com".into()],
                vec!["bartholomew".into(), "disabled".into(), String::new()],
            ],
        );
        assert_eq!(
            text,
            "NAME         STATE     EMAIL\nalice        active    a@example.com\nbartholomew  disabled\n"
        );
        assert_eq!(
            render(&["ID", "NAME"], &[]),
            "ID  NAME\n",
            "an empty table keeps its header"
        );
    }
}
