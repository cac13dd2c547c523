#!/usr/bin/env python3
"""Generates a static government website for the crawler benchmarks.

Realistic markup of a Chinese government portal: a header with the site name, a navigation
bar of columns (栏目), list pages with pagination (首页/上一页/1 2 3 …/下一页/尾页), article
pages with breadcrumbs and related links, a footer with 网站地图/联系我们, the ICP and public-
security filing numbers and the badge snippet before </body>. Pages are 30-80 KB; about half
the columns are GBK-encoded (declared in a <meta>, as many government sites are), the rest
UTF-8. About 5 % of pages are not compliant (no badge, or the badge after </body>).

Usage: gen_site.py OUT_DIR PAGES CODE [--badge-base URL] [--seed N]
CODE may be a placeholder (e.g. @@CODE@@) that the web server substitutes per host.
Prints the number of pages written (every page is reachable from /index.html).
"""
import argparse
import os
import random

COLUMNS = [
    ("xwzx", "新闻中心"), ("zwgk", "政务公开"), ("tzgg", "通知公告"), ("zcfg", "政策法规"),
    ("bmdt", "部门动态"), ("xxgk", "信息公开"), ("bsfw", "办事服务"), ("hdjl", "互动交流"),
    ("ztzl", "专题专栏"), ("jdhy", "解读回应"),
]
GBK_COLUMNS = {"zwgk", "zcfg", "xxgk", "hdjl", "jdhy"}
PER_LIST = 20
WORDS = ("深入贯彻落实党中央国务院决策部署，坚持以人民为中心的发展思想，扎实推进各项工作任务落实。"
         "全面加强政务公开标准化规范化建设，持续优化营商环境，提升政务服务效能。"
         "会议强调，要切实增强责任感和紧迫感，细化工作措施，压实工作责任，确保各项任务按期完成。"
         "按照上级部门统一安排，现将有关事项通知如下，请各单位结合实际认真贯彻执行。")


def paragraph(rng, n):
    start = rng.randrange(len(WORDS))
    text = (WORDS * (n // len(WORDS) + 2))[start:start + n]
    return f'<p style="text-indent:2em;line-height:2">{text}</p>\n'


def page(rng, title, body, code, badge_base, charset, style):
    nav = "".join(f'<li><a href="/{c}/index.html">{name}</a></li>' for c, name in COLUMNS)
    badge = (f'<div style="text-align:center"><a href="{badge_base}/verify/{code}" target="_blank">'
             f'<img src="{badge_base}/badge/{code}.svg" width="110" height="55" alt="党政机关"></a></div>\n'
             f'<script src="{badge_base}/badge/{code}.js" async></script>\n')
    footer = ('<div class="footer"><p><a href="/wzdt/index.html">网站地图</a> | <a href="/lxwm/index.html">联系我们</a>'
              ' | <a href="/yssm/index.html">隐私声明</a></p>'
              '<p>主办单位：濮阳市人民政府办公室　地址：濮阳市开州路1号　邮编：457000</p>'
              '<p><a href="https://beian.miit.gov.cn/">豫ICP备05012345号-1</a>　'
              '<a href="http://www.beian.gov.cn/">豫公网安备 41090202000001号</a>　网站标识码：4109000001</p>\n')
    end_badge, after_badge = badge, ""
    if style == "missing":
        end_badge = ""
    elif style == "after_body":
        end_badge, after_badge = "", badge
    return (f'<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
            f'<meta name="SiteName" content="濮阳市人民政府"><meta name="SiteIDCode" content="4109000001">\n'
            f'<title>{title}_濮阳市人民政府</title>\n<link rel="stylesheet" href="/css/style.css">\n'
            f'<script>var _hmt = _hmt || [];</script>\n</head>\n<body>\n'
            f'<div class="header"><h1><a href="/index.html">濮阳市人民政府</a></h1></div>\n'
            f'<ul class="nav"><li><a href="/index.html">首页</a></li>{nav}</ul>\n'
            f'<div class="main">{body}</div>\n{footer}{end_badge}</div>\n</body>\n</html>\n{after_badge}')


def pad(rng, html_len):
    target = rng.randrange(30_000, 80_000)
    out = []
    size = html_len
    while size < target:
        p = paragraph(rng, rng.randrange(80, 300))
        out.append(p)
        size += len(p.encode("utf-8"))
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("pages", type=int)
    ap.add_argument("code")
    ap.add_argument("--badge-base", default="https://bs.example.gov.cn")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    fixed = ["wzdt", "lxwm", "yssm"]
    # Pages: home + 3 fixed + per column (list pages + articles).
    budget = args.pages - 1 - len(fixed)
    per_column = [budget // len(COLUMNS)] * len(COLUMNS)
    for i in range(budget % len(COLUMNS)):
        per_column[i] += 1
    written = 0

    def write(path, title, body, charset):
        nonlocal written
        roll = rng.random()
        style = "missing" if roll < 0.03 else "after_body" if roll < 0.05 else "ok"
        enc = "gbk" if charset == "gb2312" else "utf-8"
        html = page(rng, title, body, args.code, args.badge_base, charset, style)
        html = html.replace("</div>\n<div class=\"footer\">", pad(rng, len(html.encode(enc))) + "</div>\n<div class=\"footer\">", 1)
        full = os.path.join(args.out, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(html.encode(enc, errors="replace"))
        written += 1

    for (col, name), total in zip(COLUMNS, per_column):
        charset = "gb2312" if col in GBK_COLUMNS else "utf-8"
        # total = lists + articles, lists = ceil(articles / PER_LIST).
        articles = total - (total + PER_LIST) // (PER_LIST + 1)
        lists = total - articles
        art_paths = [f"/{col}/2026{(i % 12) + 1:02d}/t2026{(i % 12) + 1:02d}{(i % 28) + 1:02d}_{100000 + i}.html"
                     for i in range(articles)]
        list_path = lambda n: f"/{col}/index.html" if n == 0 else f"/{col}/index_{n}.html"
        for n in range(lists):
            items = "".join(f'<li><a href="{p}" target="_blank">{name}第{100000 + i}号文章标题</a><span>2026-11-{(i % 28) + 1:02d}</span></li>\n'
                            for i, p in list(enumerate(art_paths))[n * PER_LIST:(n + 1) * PER_LIST])
            pages = [f'<a href="{list_path(0)}">首页</a>']
            if n > 0:
                pages.append(f'<a href="{list_path(n - 1)}">上一页</a>')
            for k in range(max(0, n - 5), min(lists, n + 6)):
                pages.append(f'<a href="{list_path(k)}">{k + 1}</a>' if k != n else f'<span>{k + 1}</span>')
            if n + 1 < lists:
                pages.append(f'<a href="{list_path(n + 1)}">下一页</a>')
            pages.append(f'<a href="{list_path(lists - 1)}">尾页</a>')
            body = f'<div class="list"><h2>{name}</h2><ul>{items}</ul><div class="page">{" ".join(pages)}</div></div>'
            write(list_path(n), name, body, charset)
        for i, p in enumerate(art_paths):
            related = "".join(f'<li><a href="{art_paths[j]}">相关文章{j}</a></li>' for j in (i - 1, i + 1) if 0 <= j < len(art_paths))
            body = (f'<div class="crumb">当前位置：<a href="/index.html">首页</a> &gt; <a href="{list_path(0)}">{name}</a></div>'
                    f'<h2>{name}第{100000 + i}号文章标题</h2><ul class="related">{related}</ul>')
            write(p, f"{name}第{100000 + i}号文章标题", body, charset)
    for path, title in zip(fixed, ["网站地图", "联系我们", "隐私声明"]):
        write(f"/{path}/index.html", title, f"<h2>{title}</h2>", "utf-8")
    home = "".join(f'<div class="col"><h3><a href="/{c}/index.html">{n}</a></h3></div>' for c, n in COLUMNS)
    write("/index.html", "首页", home, "utf-8")
    print(written)


if __name__ == "__main__":
    main()
