"""Solve a FET file without any municipality: ``solve_fet INPUT.fet --out OUT.fet``.

Touches no database. Exit status: 0 = a complete timetable was written, 1 = none found
(the reasons are printed), 2 = the file uses rule types the solver cannot model.
"""

from __future__ import annotations

import math
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from timetable.generation.fet import FetError, read_fet_bytes, write_locked
from timetable.generation.solver import solve


class Command(BaseCommand):
    help = "FETファイルの時間割を作成し、全授業を固定したFETファイルを書き出します（DB不要）。"
    requires_system_checks: list[str] = []  # no municipality, no database: skip the checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", help="入力 .fet ファイル")
        parser.add_argument("--out", required=True, help="出力 .fet（全授業を固定）")
        parser.add_argument("--time-limit", type=float, default=60.0, help="秒（既定 60）")
        parser.add_argument("--workers", type=int, default=1, help="探索スレッド数（既定 1）")
        parser.add_argument("--seed", type=int, default=0, help="乱数シード（既定 0）")
        parser.add_argument(
            "--first",
            action="store_true",
            help="最初に見つかった時間割で止める（希望条件の改善をしない）",
        )

    def handle(self, *args: object, **opts: object) -> None:
        src = Path(str(opts["input"]))
        try:
            data = src.read_bytes()
        except OSError as e:
            raise CommandError(f"入力ファイルを読めません: {e}") from e
        try:
            problem = read_fet_bytes(data, name=src.stem)
        except FetError as e:
            raise CommandError(str(e)) from e
        n_soft = sum(1 for c in problem.constraints if not c.hard)
        self.stdout.write(
            f"{src.name}: 授業 {len(problem.activities)} / 条件 {len(problem.constraints)}"
            f"（うち希望 {n_soft}）/ {problem.n_days}日 × {problem.n_hours}校時"
        )
        if problem.unsupported:
            for name, count in sorted(problem.unsupported.items()):
                self.stderr.write(f"未対応の条件: {name} × {count}")
            raise CommandError("未対応の条件があるため解いていません。", returncode=2)
        result = solve(
            problem,
            time_limit=float(opts["time_limit"]),  # type: ignore[arg-type]
            workers=int(opts["workers"]),  # type: ignore[arg-type]
            seed=int(opts["seed"]),  # type: ignore[arg-type]
            stop_at_first=bool(opts["first"]),
        )
        if not result.solved:
            for reason in result.reasons:
                self.stderr.write(reason)
            raise CommandError(
                f"時間割は見つかりませんでした（{result.status}、{result.wall_seconds:.2f} 秒）。"
            )
        write_locked(data, problem, result, Path(str(opts["out"])))
        soft = result.soft_total
        soft_text = "?" if soft is None or math.isnan(soft) else f"{soft:g}"
        self.stdout.write(f"first_solution_seconds: {result.first_solution_seconds:.3f}")
        self.stdout.write(f"soft_conflicts: {soft_text}")
        self.stdout.write(f"total_seconds: {result.wall_seconds:.3f}")
        self.stdout.write(f"optimal: {'yes' if result.optimal else 'no'}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{opts['out']} に {len(result.placements)} 件の授業を固定して書き出しました。"
            )
        )
