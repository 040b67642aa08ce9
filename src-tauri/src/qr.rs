//! Pay links as QR codes (SVG text the UI inlines).

use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::{IpcError, IpcResult};

pub fn svg(text: &str) -> IpcResult<String> {
    let code = QrCode::new(text.as_bytes())
        .map_err(|e| IpcError::invalid(format!("the link does not fit a QR code: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pay_link_becomes_an_svg() {
        let s = super::svg("http://127.0.0.1:1/gateway.do?a=b").unwrap();
        assert!(
            s.starts_with("<?xml") || s.starts_with("<svg"),
            "{}",
            &s[..40]
        );
        assert!(s.contains("</svg>"));
    }
}
