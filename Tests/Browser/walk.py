#!/usr/bin/env python3
"""The five-province flow in a real browser (Debian's chromium driven by Playwright).

Run by Tests/LunzhiWebTests/BrowserWalkTests.swift against a real `lunzhi serve` on a test
database:  walk.py --url http://127.0.0.1:PORT --operator-secret SECRET [--screenshots DIR]

Fails (exit 1) on any browser console error, page error, failed request, JavaScript dialog,
response >= 500, or axe-core violation of serious or critical impact on any page it visits.
"""
import argparse
import datetime
import os
import re
import sys

from playwright.sync_api import sync_playwright, expect
from axe_playwright_python.sync_playwright import Axe

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--operator-secret", required=True)
parser.add_argument("--screenshots", default=os.environ.get("LUNZHI_SCREENSHOTS"))
parser.add_argument("--chromium", default=os.environ.get("LUNZHI_CHROMIUM", "/usr/bin/chromium"))
args = parser.parse_args()

problems = []
axe = Axe()
shot_count = 0
PASSPHRASE = "西北五省区 轮值 2026 协作"
MEMBERS = ["SN", "GS", "QH", "NX", "XJ"]
visited_axe = set()
# A refusal the walk provokes on purpose comes back with its 4xx status, which Chromium reports
# as a console error; only those, only then, are expected.
expected_refusals = []


def watch(page, who):
    def console(m):
        if m.type != "error":
            return
        if expected_refusals and f"status of {expected_refusals[0]}" in m.text:
            expected_refusals.pop(0)
            return
        problems.append(f"{who}: console error: {m.text}")
    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"{who}: page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"{who}: dialog: {d.message}"), d.dismiss()))
    def failed(r):
        # The icon's load cut short by the walk moving on to the next page is not a failure.
        if r.failure == "net::ERR_ABORTED" and r.url.split("?")[0].endswith(("/assets/icon.svg", "/favicon.ico")):
            return
        problems.append(f"{who}: request failed: {r.url} {r.failure}")
    page.on("requestfailed", failed)
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{who}: {r.status} from {r.url}"))


def check(page, name):
    """axe-core on the page; a screenshot at desk and phone widths."""
    global shot_count
    key = re.sub(r"\d+", "N", page.url.split("?")[0].replace(args.url, "")) + "|" + name
    if key not in visited_axe:
        visited_axe.add(key)
        for v in axe.run(page).response["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in v["nodes"]][:3]
                problems.append(f"axe {v['impact']} on {name} ({page.url}): {v['id']}: {v['help']} {targets}")
    if args.screenshots:
        shot_count += 1
        base = os.path.join(args.screenshots, f"{shot_count:02d}-{name}")
        page.screenshot(path=base + "-desk.png", full_page=True)
        size = page.viewport_size
        page.set_viewport_size({"width": 375, "height": 812})
        page.screenshot(path=base + "-phone.png", full_page=True)
        page.set_viewport_size(size)


def no_horizontal_scroll(page, name):
    page.set_viewport_size({"width": 375, "height": 812})
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    page.set_viewport_size({"width": 1280, "height": 900})
    if wide:
        problems.append(f"{name}: the page scrolls sideways at 375 px")


def sign_in(page, name, secret, choose=True):
    page.goto(args.url + "/signin")
    page.get_by_label("账户名").fill(name)
    page.get_by_label("密钥或口令").fill(secret)
    page.get_by_role("button", name="登录").click()
    if choose:
        expect(page.get_by_role("heading", name="我的账户")).to_be_visible()
        check(page, f"account-{name}")
        page.get_by_label("当前密钥或口令").fill(secret)
        page.get_by_label(re.compile("^新口令")).fill(PASSPHRASE)
        page.get_by_label("再次输入新口令").fill(PASSPHRASE)
        page.get_by_role("button", name="保存口令").click()
        expect(page.get_by_text("口令已设置")).to_be_visible()
    else:
        expect(page.get_by_role("button", name="退出")).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="轮值工作台")).to_be_visible()


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    page = context.new_page()
    watch(page, "browser")

    # The operator: sign in, choose a passphrase, plan the rotation, create clerks and an auditor.
    page.goto(args.url + "/")
    check(page, "signin")
    sign_in(page, "operator", args.operator_secret)
    expect(page.get_by_role("heading", name="账户管理")).to_be_visible()
    page.goto(args.url + "/rotation")
    page.locator("summary", has_text="安排轮值").click()
    page.get_by_label("轮值顺序").fill("SN,GS,QH,NX,XJ")
    page.get_by_label("起始年度").fill("2025")
    page.get_by_label("年数").fill("6")
    page.get_by_role("button", name="安排轮值").click()
    expect(page.get_by_text("轮值已安排")).to_be_visible()
    expect(page.get_by_text("甘肃省工业和信息化厅").first).to_be_visible()
    check(page, "rotation")
    secrets = {}
    page.goto(args.url + "/admin/principals")
    for code in MEMBERS + ["AUD"]:
        name = "auditor-1" if code == "AUD" else f"clerk-{code.lower()}"
        page.get_by_label("账户名").fill(name)
        page.get_by_label("姓名").fill(f"{code} 联络员" if code != "AUD" else "审计员")
        page.get_by_label("角色").select_option("auditor" if code == "AUD" else "clerk")
        if code != "AUD":
            page.get_by_label("所属成员单位（联络员）").select_option(code)
        page.get_by_role("button", name="创建").click()
        secrets[name] = page.locator("#new-secret").inner_text().strip()
        if code == "QH":
            check(page, "principal-created")
    # Every member is reminded by e-mail.
    page.goto(args.url + "/admin/contacts")
    for code in MEMBERS:
        page.get_by_label("成员单位").select_option(code)
        page.get_by_label("方式").select_option("email")
        page.get_by_label("地址").fill(f"{code.lower()}@example.cn")
        page.get_by_role("button", name="添加").click()
        expect(page.get_by_text("提醒方式已添加")).to_be_visible()
    check(page, "contacts")
    sign_out(page)

    # Qinghai files an item with the keyboard alone, then submits it.
    sign_in(page, "clerk-qh", secrets["clerk-qh"])
    expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
    check(page, "queue-empty")
    page.goto(args.url + "/items/new")
    page.get_by_label("类别").focus()
    page.keyboard.press("Tab")  # 办理方式
    page.keyboard.press("Tab")  # 标题
    page.keyboard.type("共建青海—甘肃盐湖化工产业链")
    page.keyboard.press("Tab")  # 正文
    page.keyboard.type("提请五省区协调盐湖化工项目布局。<script>alert(1)</script>")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the submit button
    page.keyboard.press("Enter")
    expect(page.get_by_text("议题已保存为草稿")).to_be_visible()
    check(page, "item-draft")
    item_url = page.url.split("?")[0]
    item_id = item_url.rsplit("/", 1)[1]
    page.get_by_role("button", name="提交主席").click()
    expect(page.get_by_text("议题已提交轮值主席")).to_be_visible()
    sign_out(page)

    # Gansu (chair in 2026): accepts, convenes, tables, opens.
    sign_in(page, "clerk-gs", secrets["clerk-gs"])
    expect(page.get_by_text("受理议题")).to_be_visible()
    check(page, "queue-chair")
    page.goto(item_url)
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_text("议题已受理")).to_be_visible()
    page.goto(args.url + "/consultations/new")
    tomorrow = (datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))) + datetime.timedelta(days=1))
    page.get_by_label("形式").select_option("meeting")
    page.get_by_label("会议时间").fill(tomorrow.strftime("%Y-%m-%dT09:30"))
    page.get_by_label("地点").fill("兰州")
    page.get_by_label("议题截止时间").fill(tomorrow.strftime("%Y-%m-%dT08:00"))
    check(page, "convene")
    page.get_by_role("button", name="召集").click()
    expect(page.get_by_text("会商已召集")).to_be_visible()
    consultation_url = page.url.split("?")[0]
    page.get_by_label(re.compile("共建青海")).check()
    page.get_by_role("button", name="列入议程").click()
    expect(page.get_by_text("议题已列入议程")).to_be_visible()
    page.get_by_role("button", name="开始会商").click()
    expect(page.get_by_text("会商已开始")).to_be_visible()
    sign_out(page)

    # All five record positions.
    for code in MEMBERS:
        name = f"clerk-{code.lower()}"
        already = code in ("GS", "QH")  # chose their passphrases above
        sign_in(page, name, PASSPHRASE if already else secrets[name], choose=not already)
        if code == "SN":
            expect(page.get_by_text("表明立场")).to_be_visible()
            check(page, "queue-position")
        page.goto(consultation_url)
        page.get_by_label("同意").first.check()
        page.get_by_role("button", name="提交立场").click()
        expect(page.get_by_text("立场已记录")).to_be_visible()
        if code == "XJ":
            check(page, "consultation-positions")
        sign_out(page)

    # Gansu decides (the decision number shows) and closes with minutes.
    sign_in(page, "clerk-gs", PASSPHRASE, choose=False)
    page.goto(consultation_url)
    expect(page.get_by_text("按此规则现在决定将为：通过")).to_be_visible()
    page.get_by_role("button", name="作出决定").click()
    expect(page.get_by_text(re.compile(r"决定文号 \d{4}-\d{3}"))).to_be_visible()
    page.get_by_label("会议纪要").fill("会议一致同意共建盐湖化工产业链。")
    page.get_by_role("button", name="结束会商并记录纪要").click()
    expect(page.get_by_text("会商已结束")).to_be_visible()
    check(page, "consultation-closed")
    sign_out(page)

    # Qinghai: asks to swap its next turn with Ningxia's, then takes the request back.
    sign_in(page, "clerk-qh", PASSPHRASE, choose=False)
    page.goto(args.url + "/rotation")
    page.get_by_text("申请调换轮值年度", exact=True).click()
    year = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).year
    page.get_by_label("本单位年度").fill(str(year + 1))
    page.get_by_label("对方年度").fill(str(year + 2))
    page.locator("#f-reason-swap").fill("青海拟承办全国性展会，希望与宁夏调换轮值年度。")
    page.get_by_role("button", name="提交申请").first.click()
    expect(page.get_by_text("调换申请已提交")).to_be_visible()
    check(page, "rotation-exception")
    page.get_by_label("理由").first.fill("展会改期，不再需要调换。")
    page.get_by_role("button", name="撤回或拒绝").click()
    expect(page.get_by_text("申请已撤回。")).to_be_visible()
    # A screened project, a special-track approval with a justification.
    page.goto(args.url + "/projects/new")
    page.get_by_label("项目名称").fill("格尔木钢铁深加工项目")
    page.get_by_label("企业").fill("某钢铁集团")
    page.get_by_label("投资额").fill("12.5亿")
    page.get_by_label("产业类别").select_option("energy_materials")
    page.get_by_label("细分行业").fill("钢铁")
    page.get_by_label("转移来源").select_option("east_central")
    page.get_by_label("落地地点").fill("格尔木")
    check(page, "project-form")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("项目已登记")).to_be_visible()
    expect(page.get_by_text("12.5亿元")).to_be_visible()
    check(page, "project")
    page.get_by_role("link", name="申请一事一议").click()
    check(page, "approval-form")
    page.get_by_label("办理方式").select_option("regular")
    page.get_by_label("申请事项").fill("请求甘肃省协调配套用地。")
    page.get_by_label("甘肃省工业和信息化厅").check()
    expected_refusals.append(422)
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("SCREENED_INDUSTRY")).to_be_visible()
    # The refusal's detail is in Chinese too, naming the industry.
    expect(page.get_by_text("属于限制类产业（钢铁，目录第 1 版）", exact=False)).to_be_visible()
    check(page, "approval-refused")
    page.get_by_label("办理方式").select_option("special")
    page.get_by_label("特事特办理由").fill("项目为既有产能减量置换，经省政府批准。")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交")).to_be_visible()
    approval_url = page.url.split("?")[0]
    expect(page.get_by_text("属限制类产业：钢铁（目录第 1 版）")).to_be_visible()
    page.get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="提交答复").click()
    expect(page.get_by_text("答复已提交")).to_be_visible()
    sign_out(page)
    sign_in(page, "clerk-gs", PASSPHRASE, choose=False)
    page.goto(approval_url)
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见").fill("同意，请抓紧办理。")
    page.get_by_role("button", name="提交答复").click()
    expect(page.get_by_text("答复已提交")).to_be_visible()
    expect(page.get_by_text("已同意").first).to_be_visible()
    check(page, "approval-approved")
    # The chair's office names an acting chair for a few days, then ends it early.
    page.goto(args.url + "/rotation")
    page.get_by_text("指定代理主席", exact=True).first.click()
    shanghai_today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    last = min(shanghai_today + datetime.timedelta(days=3), datetime.date(shanghai_today.year, 12, 31))
    page.get_by_label("成员单位").select_option("QH")
    page.get_by_label("开始日期").fill(shanghai_today.isoformat())
    page.get_by_label("结束日期").fill(last.isoformat())
    page.locator("#f-reason-acting").fill("主任带队赴外省考察，期间由青海代行主席职责。")
    page.get_by_role("button", name="指定代理主席").click()
    expect(page.get_by_text("代理主席已指定。")).to_be_visible()
    check(page, "rotation-acting")
    page.get_by_label("理由").first.fill("考察提前结束。")
    page.get_by_role("button", name="结束代理").click()
    expect(page.get_by_text("代理期已结束")).to_be_visible()
    page.goto(args.url + "/approvals")
    # The list says what each approval is about: the project by name and the start of the ask.
    expect(page.get_by_role("link", name="#1 格尔木钢铁深加工项目")).to_be_visible()
    expect(page.get_by_text("请求甘肃省协调配套用地。")).to_be_visible()
    check(page, "approvals")
    page.goto(args.url + "/projects")
    check(page, "projects")
    page.goto(args.url + "/consultations")
    check(page, "consultations")
    # English, remembered for the principal.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Consultations")).to_be_visible()
    check(page, "consultations-en")
    page.get_by_role("button", name="简体中文").click()
    sign_out(page)

    # The auditor opens the item's timeline.
    sign_in(page, "auditor-1", secrets["auditor-1"])
    page.goto(item_url)
    expect(page.get_by_role("heading", name="办理记录")).to_be_visible()
    expect(page.get_by_text("主席受理")).to_be_visible()
    expect(page.locator("#main")).to_contain_text("<script>alert(1)</script>")
    check(page, "item-timeline")
    page.goto(args.url + "/items")
    check(page, "items")
    no_horizontal_scroll(page, "items")
    page.goto(item_url)
    no_horizontal_scroll(page, "item")
    # The decided consultation offers the auditor the decision's proof to take away.
    page.goto(consultation_url)
    expect(page.get_by_role("link", name="下载审计证明（JSON）")).to_be_visible()
    check(page, "consultation-auditor")
    no_horizontal_scroll(page, "consultation-auditor")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Download the audit proof (JSON)")).to_be_visible()
    check(page, "consultation-auditor-en")
    page.get_by_role("button", name="简体中文").click()
    sign_out(page)
    browser.close()

if expected_refusals:
    problems.append(f"expected refusals never came: {expected_refusals}")
for problem in problems:
    print("PROBLEM:", problem)
print(f"walk done: {len(problems)} problems, {shot_count} screenshots")
sys.exit(1 if problems else 0)
