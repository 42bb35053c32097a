"""A small built-in set of stdin/stdout problems written for harness, so the domain works offline.

Each problem has a statement, public example inputs, a seeded generator of hidden inputs, an in-process
``answer`` function that computes every expected output, and a reference Python program (tested to agree
with ``answer`` on all tests). Expected outputs are computed, not stored, so they cannot drift.

This file holds every expected answer: it is hidden from sandboxed runs (``hide``), so a candidate
cannot import or read it, wherever the package is installed.
"""

from __future__ import annotations

import functools
import math
import os
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.toolkit.sandbox import hide

hide(__file__)
hide(os.path.join(os.path.dirname(__file__), "__pycache__"))  # its bytecode holds the same answers
HIDDEN_PER_PROBLEM = 8
SEED = 20241128


@dataclass(frozen=True)
class Problem:
    slug: str
    title: str
    statement: str
    public_inputs: tuple[str, ...]
    generate: Callable[[random.Random], str]
    answer: Callable[[str], str]
    reference: str
    float_tolerance: float | None = None
    time_limit_s: float = 2.0
    memory_limit_bytes: int = 256 * 1024 * 1024
    edge_inputs: tuple[str, ...] = field(default_factory=tuple)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split()]


# --------------------------------------------------------------------------------------------- answers


def _sum_big(inp: str) -> str:
    a, b = _ints(inp)
    return str(a + b)


def _kadane(inp: str) -> str:
    nums = _ints(inp)[1:]
    best = cur = nums[0]
    for x in nums[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return str(best)


def _circle(inp: str) -> str:
    r = float(inp.split()[0])
    return f"{math.pi * r * r:.6f}"


def _triangle(inp: str) -> str:
    x1, y1, x2, y2, x3, y3 = _ints(inp)
    return f"{abs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1)) / 2:.1f}"


def _mean(inp: str) -> str:
    nums = _ints(inp)[1:]
    return f"{sum(nums) / len(nums):.9f}"


def _gcd_lcm(inp: str) -> str:
    a, b = _ints(inp)
    g = math.gcd(a, b)
    return f"{g} {a // g * b}"


def _primes(inp: str) -> str:
    n = _ints(inp)[0]
    if n < 2:
        return "0"
    sieve = bytearray([1]) * (n + 1)
    sieve[0] = sieve[1] = 0
    for i in range(2, math.isqrt(n) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(range(i * i, n + 1, i)))
    return str(sum(sieve))


def _palindromes(inp: str) -> str:
    words = inp.split()[1:]
    return "\n".join("YES" if w == w[::-1] else "NO" for w in words)


def _fib(inp: str) -> str:
    n, mod = _ints(inp)[0], 10**9 + 7

    def pair(k: int) -> tuple[int, int]:  # (F(k), F(k+1)) by fast doubling
        if k == 0:
            return 0, 1
        a, b = pair(k // 2)
        c = a * (2 * b - a) % mod
        d = (a * a + b * b) % mod
        return (d, (c + d) % mod) if k % 2 else (c, d)

    return str(pair(n)[0])


def _grid(inp: str) -> str:
    lines = inp.split("\n")
    n, m = (int(x) for x in lines[0].split())
    grid = lines[1 : n + 1]
    start = next((r, c) for r in range(n) for c in range(m) if grid[r][c] == "S")
    dist = {start: 0}
    q = deque([start])
    while q:
        r, c = q.popleft()
        if grid[r][c] == "T":
            return str(dist[(r, c)])
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < n and 0 <= nc < m and grid[nr][nc] != "#" and (nr, nc) not in dist:
                dist[(nr, nc)] = dist[(r, c)] + 1
                q.append((nr, nc))
    return "-1"


def _coins(inp: str) -> str:
    vals = _ints(inp)
    target, coins = vals[1], vals[2 : 2 + vals[0]]
    ways = [1] + [0] * target
    for c in coins:
        for v in range(c, target + 1):
            ways[v] = (ways[v] + ways[v - c]) % (10**9 + 7)
    return str(ways[target])


def _brackets(inp: str) -> str:
    out = []
    for s in inp.split()[1:]:
        stack: list[str] = []
        ok = True
        for ch in s:
            if ch in "([{":
                stack.append(ch)
            elif not stack or stack.pop() + ch not in ("()", "[]", "{}"):
                ok = False
                break
        out.append("YES" if ok and not stack else "NO")
    return "\n".join(out)


def _pairs(inp: str) -> str:
    vals = _ints(inp)
    k, nums = vals[1], vals[2 : 2 + vals[0]]
    seen: dict[int, int] = {}
    count = 0
    for x in nums:
        count += seen.get(k - x, 0)
        seen[x] = seen.get(x, 0) + 1
    return str(count)


def _distinct(inp: str) -> str:
    return str(len(set(inp.split()[0])))


def _sort_words(inp: str) -> str:
    words = inp.split()[1:]
    return " ".join(sorted(words, key=lambda w: (len(w), w)))


# ------------------------------------------------------------------------------------------ generators


def _gen_sum(r: random.Random) -> str:
    return f"{r.randint(-(10**30), 10**30)} {r.randint(-(10**30), 10**30)}\n"


def _gen_array(lo: int, hi: int, nmax: int) -> Callable[[random.Random], str]:
    def gen(r: random.Random) -> str:
        n = r.randint(1, nmax)
        return f"{n}\n{' '.join(str(r.randint(lo, hi)) for _ in range(n))}\n"

    return gen


def _gen_circle(r: random.Random) -> str:
    return f"{r.randint(1, 10**4) / 100:.2f}\n"


def _gen_triangle(r: random.Random) -> str:
    return " ".join(str(r.randint(-1000, 1000)) for _ in range(6)) + "\n"


def _gen_gcd(r: random.Random) -> str:
    g = r.randint(1, 10**6)
    return f"{g * r.randint(1, 10**6)} {g * r.randint(1, 10**6)}\n"


def _gen_primes(r: random.Random) -> str:
    return f"{r.choice([r.randint(1, 100), r.randint(10**5, 2 * 10**6)])}\n"


def _gen_palindromes(r: random.Random) -> str:
    words = []
    for _ in range(r.randint(1, 10)):
        half = "".join(r.choice("ab") for _ in range(r.randint(0, 5)))
        words.append(half + r.choice(["", "c"]) + half[::-1] if r.random() < 0.5 else half + "ba")
    words = [w or "a" for w in words]
    return f"{len(words)}\n" + "\n".join(words) + "\n"


def _gen_fib(r: random.Random) -> str:
    return f"{r.choice([r.randint(0, 90), r.randint(10**17, 10**18)])}\n"


def _gen_grid(r: random.Random) -> str:
    n, m = r.randint(2, 30), r.randint(2, 30)
    cells = [["#" if r.random() < 0.3 else "." for _ in range(m)] for _ in range(n)]
    spots = r.sample([(i, j) for i in range(n) for j in range(m)], 2)
    (a, b), (c, d) = spots
    cells[a][b], cells[c][d] = "S", "T"
    return f"{n} {m}\n" + "\n".join("".join(row) for row in cells) + "\n"


def _gen_coins(r: random.Random) -> str:
    coins = r.sample(range(1, 50), r.randint(1, 8))
    return f"{len(coins)} {r.randint(0, 5000)}\n{' '.join(map(str, coins))}\n"


def _gen_brackets(r: random.Random) -> str:
    words = []
    for _ in range(r.randint(1, 8)):
        s = ""
        for _ in range(r.randint(1, 6)):
            o, c = r.choice(["()", "[]", "{}"])
            s = r.choice([o + s + c, s + o + c])
        if r.random() < 0.4:
            i = r.randrange(len(s))
            s = s[:i] + r.choice("()[]{}") + s[i + 1 :]
        words.append(s)
    return f"{len(words)}\n" + "\n".join(words) + "\n"


def _gen_pairs(r: random.Random) -> str:
    n = r.randint(1, 2000)
    return f"{n} {r.randint(-20, 20)}\n{' '.join(str(r.randint(-10, 10)) for _ in range(n))}\n"


def _gen_distinct(r: random.Random) -> str:
    return "".join(r.choice("abcdefghijklmnopqrstuvwxyz"[: r.randint(1, 26)]) for _ in range(r.randint(1, 200))) + "\n"


def _gen_words(r: random.Random) -> str:
    words = ["".join(r.choice("abcde") for _ in range(r.randint(1, 6))) for _ in range(r.randint(1, 30))]
    return f"{len(words)}\n{' '.join(words)}\n"


# ------------------------------------------------------------------------------------------- problems

PROBLEMS: tuple[Problem, ...] = (
    Problem(
        "big-sum",
        "Big Sum",
        "Read two integers a and b (|a|, |b| <= 10^30) on one line and print a + b.\n\n"
        "Example\nInput:\n3 4\nOutput:\n7",
        ("3 4\n", "-1000000000000000000000 1\n"),
        _gen_sum,
        _sum_big,
        "a, b = map(int, input().split())\nprint(a + b)\n",
    ),
    Problem(
        "max-subarray",
        "Maximum Subarray",
        "The first line holds n (1 <= n <= 10^5), the second n integers (|a_i| <= 10^9). Print the largest "
        "sum of a non-empty contiguous subarray.\n\nExample\nInput:\n5\n-2 1 -3 4 -1\nOutput:\n4",
        ("5\n-2 1 -3 4 -1\n", "3\n-5 -2 -7\n"),
        _gen_array(-(10**9), 10**9, 1000),
        _kadane,
        "import sys\nd = sys.stdin.read().split()\nn = int(d[0])\na = list(map(int, d[1:1 + n]))\n"
        "best = cur = a[0]\nfor x in a[1:]:\n    cur = max(x, cur + x)\n    best = max(best, cur)\nprint(best)\n",
        edge_inputs=("1\n-7\n",),
    ),
    Problem(
        "circle-area",
        "Circle Area",
        "Read a real radius r (0 < r <= 100) and print the area of the circle. Answers within an absolute or "
        "relative error of 1e-6 are accepted.\n\nExample\nInput:\n1.00\nOutput:\n3.141593",
        ("1.00\n", "2.50\n"),
        _gen_circle,
        _circle,
        "import math\nr = float(input())\nprint(f'{math.pi * r * r:.9f}')\n",
        float_tolerance=1e-6,
    ),
    Problem(
        "triangle-area",
        "Triangle Area",
        "Read six integers x1 y1 x2 y2 x3 y3 (|coordinates| <= 1000), the corners of a triangle, and print its "
        "area. Answers within an absolute or relative error of 1e-6 are accepted.\n\n"
        "Example\nInput:\n0 0 4 0 0 3\nOutput:\n6.0",
        ("0 0 4 0 0 3\n", "0 0 1 1 2 2\n"),
        _gen_triangle,
        _triangle,
        "x1, y1, x2, y2, x3, y3 = map(int, input().split())\n"
        "print(abs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1)) / 2)\n",
        float_tolerance=1e-6,
    ),
    Problem(
        "array-mean",
        "Array Mean",
        "The first line holds n (1 <= n <= 1000), the second n integers (|a_i| <= 10^6). Print their mean. "
        "Answers within an absolute or relative error of 1e-6 are accepted.\n\n"
        "Example\nInput:\n3\n1 2 4\nOutput:\n2.333333333",
        ("3\n1 2 4\n", "2\n-1 1\n"),
        _gen_array(-(10**6), 10**6, 1000),
        _mean,
        "n = int(input())\na = list(map(int, input().split()))\nprint(sum(a) / n)\n",
        float_tolerance=1e-6,
    ),
    Problem(
        "gcd-lcm",
        "GCD and LCM",
        "Read two positive integers a and b (<= 10^12) and print their greatest common divisor and least "
        "common multiple, separated by a space.\n\nExample\nInput:\n4 6\nOutput:\n2 12",
        ("4 6\n", "7 7\n"),
        _gen_gcd,
        _gcd_lcm,
        "import math\na, b = map(int, input().split())\ng = math.gcd(a, b)\nprint(g, a * b // g)\n",
    ),
    Problem(
        "count-primes",
        "Counting Primes",
        "Read n (1 <= n <= 2*10^6) and print how many primes are <= n.\n\nExample\nInput:\n10\nOutput:\n4",
        ("10\n", "1\n"),
        _gen_primes,
        _primes,
        "n = int(input())\nif n < 2:\n    print(0)\nelse:\n    s = bytearray([1]) * (n + 1)\n    s[0] = s[1] = 0\n"
        "    i = 2\n    while i * i <= n:\n        if s[i]:\n"
        "            s[i * i::i] = bytes(len(range(i * i, n + 1, i)))\n"
        "        i += 1\n    print(sum(s))\n",
        edge_inputs=("2000000\n",),
    ),
    Problem(
        "palindromes",
        "Palindromes",
        "The first line holds t (1 <= t <= 100); each of the next t lines holds a word of lowercase letters. "
        "For each word print YES if it reads the same backwards, else NO.\n\n"
        "Example\nInput:\n2\nabba\nab\nOutput:\nYES\nNO",
        ("2\nabba\nab\n",),
        _gen_palindromes,
        _palindromes,
        "t = int(input())\nfor _ in range(t):\n    w = input().strip()\n    print('YES' if w == w[::-1] else 'NO')\n",
    ),
    Problem(
        "fibonacci-mod",
        "Huge Fibonacci",
        "Read n (0 <= n <= 10^18) and print the n-th Fibonacci number modulo 1000000007 (F(0) = 0, F(1) = 1)."
        "\n\nExample\nInput:\n10\nOutput:\n55",
        ("10\n", "0\n"),
        _gen_fib,
        _fib,
        "M = 10**9 + 7\n\ndef mul(a, b):\n"
        "    return [[(a[0][0]*b[0][0] + a[0][1]*b[1][0]) % M, (a[0][0]*b[0][1] + a[0][1]*b[1][1]) % M],\n"
        "            [(a[1][0]*b[0][0] + a[1][1]*b[1][0]) % M, (a[1][0]*b[0][1] + a[1][1]*b[1][1]) % M]]\n\n"
        "n = int(input())\nr = [[1, 0], [0, 1]]\nb = [[1, 1], [1, 0]]\nwhile n:\n    if n & 1:\n        r = mul(r, b)\n"
        "    b = mul(b, b)\n    n >>= 1\nprint(r[0][1])\n",
        edge_inputs=("1000000000000000000\n",),
    ),
    Problem(
        "grid-path",
        "Shortest Grid Path",
        "The first line holds n and m (2 <= n, m <= 100); then n lines of m characters: '.' free, '#' wall, "
        "'S' start, 'T' target. Moving up, down, left or right, print the fewest steps from S to T, or -1 if T "
        "cannot be reached.\n\nExample\nInput:\n2 3\nS.#\n#.T\nOutput:\n3",
        ("2 3\nS.#\n#.T\n", "2 2\nS#\n#T\n"),
        _gen_grid,
        _grid,
        "from collections import deque\nimport sys\nd = sys.stdin.read().split()\nn, m = int(d[0]), int(d[1])\n"
        "g = d[2:2 + n]\nfor i in range(n):\n    for j in range(m):\n"
        "        if g[i][j] == 'S':\n            s = (i, j)\n"
        "dist = {s: 0}\nq = deque([s])\nans = -1\nwhile q:\n    i, j = q.popleft()\n    if g[i][j] == 'T':\n"
        "        ans = dist[(i, j)]\n        break\n    for a, b in ((i+1, j), (i-1, j), (i, j+1), (i, j-1)):\n"
        "        if 0 <= a < n and 0 <= b < m and g[a][b] != '#' and (a, b) not in dist:\n"
        "            dist[(a, b)] = dist[(i, j)] + 1\n            q.append((a, b))\nprint(ans)\n",
    ),
    Problem(
        "coin-ways",
        "Coin Combinations",
        "The first line holds n and x (1 <= n <= 100, 0 <= x <= 10^5); the second n distinct coin values "
        "(1 <= c_i <= 10^5). Print the number of ways to pay x with unlimited coins, where the order of coins "
        "does not matter, modulo 1000000007.\n\nExample\nInput:\n3 5\n1 2 5\nOutput:\n4",
        ("3 5\n1 2 5\n", "1 3\n2\n"),
        _gen_coins,
        _coins,
        "n, x = map(int, input().split())\nc = list(map(int, input().split()))\nw = [1] + [0] * x\nfor v in c:\n"
        "    for s in range(v, x + 1):\n        w[s] = (w[s] + w[s - v]) % 1000000007\nprint(w[x])\n",
    ),
    Problem(
        "brackets",
        "Balanced Brackets",
        "The first line holds t (1 <= t <= 100); each of the next t lines holds a non-empty string of the "
        "characters ()[]{}. For each print YES if it is balanced, else NO.\n\n"
        "Example\nInput:\n3\n([]{})\n(]\n((\nOutput:\nYES\nNO\nNO",
        ("3\n([]{})\n(]\n((\n",),
        _gen_brackets,
        _brackets,
        "t = int(input())\nfor _ in range(t):\n    s = input().strip()\n    st = []\n    ok = True\n    for ch in s:\n"
        "        if ch in '([{':\n            st.append(ch)\n"
        "        elif not st or st.pop() + ch not in ('()', '[]', '{}'):\n"
        "            ok = False\n            break\n    print('YES' if ok and not st else 'NO')\n",
    ),
    Problem(
        "pair-sums",
        "Pairs With Sum",
        "The first line holds n and k (1 <= n <= 2*10^5, |k| <= 10^9); the second n integers. Print the number "
        "of pairs i < j with a_i + a_j = k.\n\nExample\nInput:\n4 5\n1 4 2 3\nOutput:\n2",
        ("4 5\n1 4 2 3\n", "3 2\n1 1 1\n"),
        _gen_pairs,
        _pairs,
        "from collections import Counter\nn, k = map(int, input().split())\na = list(map(int, input().split()))\n"
        "seen = Counter()\nc = 0\nfor x in a:\n    c += seen[k - x]\n    seen[x] += 1\nprint(c)\n",
    ),
    Problem(
        "distinct-letters",
        "Distinct Letters",
        "Read a word of lowercase letters (length <= 10^5) and print how many different letters it uses.\n\n"
        "Example\nInput:\nbanana\nOutput:\n3",
        ("banana\n", "z\n"),
        _gen_distinct,
        _distinct,
        "print(len(set(input().strip())))\n",
    ),
    Problem(
        "sort-words",
        "Sort Words",
        "The first line holds n (1 <= n <= 1000), the second n lowercase words. Print them on one line, "
        "separated by spaces, sorted by length and then alphabetically.\n\n"
        "Example\nInput:\n3\nbb a ab\nOutput:\na ab bb",
        ("3\nbb a ab\n",),
        _gen_words,
        _sort_words,
        "input()\nw = input().split()\nprint(' '.join(sorted(w, key=lambda s: (len(s), s))))\n",
    ),
)


@functools.cache
def problem_tests(slug: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(public, hidden) tests of a built-in problem, each ``{"input": ..., "output": ...}``."""
    p = next(p for p in PROBLEMS if p.slug == slug)
    rng = random.Random(f"{SEED}:{slug}")
    hidden_inputs = list(p.edge_inputs) + [p.generate(rng) for _ in range(HIDDEN_PER_PROBLEM)]
    public = [{"input": i, "output": p.answer(i) + "\n"} for i in p.public_inputs]
    hidden = [{"input": i, "output": p.answer(i) + "\n"} for i in hidden_inputs]
    return public, hidden


REFERENCE: dict[str, str] = {p.slug: p.reference for p in PROBLEMS}
