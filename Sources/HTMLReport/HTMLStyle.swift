// The report's one stylesheet, inline in the page: plain, readable printed or on a phone.

enum HTMLStyle {
    static let css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 40px;color:#1f2328}
        header{padding:14px 18px;margin:12px 0;border-radius:6px;color:#fff}
        header.pass{background:#1a7f37}header.fail{background:#cf222e}
        header h1{margin:0;font-size:22px}header p{margin:4px 0 0}
        .n{font-weight:bold;font-size:18px}
        h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
        section.failure{border:1px solid #d0d7de;border-left:6px solid #cf222e;border-radius:6px;padding:4px 14px 12px;margin:14px 0}
        section.failure h3{margin:8px 0 4px}
        .verdict{font-weight:bold;color:#cf222e;white-space:pre-wrap;overflow-wrap:anywhere}
        pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:8px;overflow:auto;max-height:420px;
        white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;margin:4px 0}
        pre .matched{background:#dafbe1;display:block}pre .failing{background:#ffebe9;display:block;font-weight:bold}
        code.rerun{user-select:all;font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
        table{border-collapse:collapse;width:100%;font-size:13px}
        th,td{border-bottom:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
        tr.failed td:first-child,tr.error td:first-child{color:#cf222e;font-weight:bold}
        tr.passed td:first-child{color:#1a7f37}tr.skipped td:first-child{color:#9a6700}
        td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .legend{font-size:12px;color:#59636e}.legend .matched{background:#dafbe1}.legend .failing{background:#ffebe9}
        figure{margin:8px 0}figure img{max-width:100%;border:1px solid #d0d7de}
        figure svg{max-width:100%;height:auto;border:1px solid #d0d7de}
        figcaption{font-size:12px;color:#59636e}
        """
}
