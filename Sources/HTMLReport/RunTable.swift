// Every run in one table: scenario, seed, result, time and the command that reruns it.
import JUnitReport
import Runner

struct RunTable {
    let runs: [JUnitSuite]

    init(_ runs: [JUnitSuite]) { self.runs = runs }

    var html: String {
        let rows = runs.map { run -> String in
            let status = run.status
            let rerun = run.rerunCommand.map { "<code class=\"rerun\">\(HTMLText.escaped($0))</code>" } ?? ""
            return """
                <tr class="\(status.rawValue)"><td>\(status.rawValue)</td><td>\(HTMLText.escaped(run.name))</td>\
                <td class="num">\(run.seed.map(String.init) ?? "")</td><td class="num">\(HTMLText.escaped(run.time)) s</td>\
                <td>\(rerun)</td></tr>

                """
        }
        return """
            <h2>Runs (\(runs.count))</h2>
            <table><tr><th>result</th><th>scenario</th><th>seed</th><th>time</th><th>rerun</th></tr>
            \(rows.joined())</table>

            """
    }
}
