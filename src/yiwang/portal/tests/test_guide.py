"""The guide page and its situation wizard."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.catalog.models import Implementation

pytestmark = pytest.mark.django_db


def _situation(client, guide, htmx: bool = False, **answers):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.get(reverse("portal:situation", args=[guide.code]), answers, **headers)


def test_guide_lays_out_every_element(client, guide):
    # when
    response = client.get(reverse("portal:guide", args=[guide.code]))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        guide.name,
        guide.code,
        guide.item.code,
        "公共服务",
        "《中华人民共和国居民身份证法》第十一条",
        "20 个工作日",
        "5 个工作日",
        guide.place,
        guide.hours,
        guide.phone,
        "四级：全程网办",
        "申请人具有完全民事行为能力",
        "授权委托书",
        "根据情形需要",
        "可用电子证照免提交",
        "证件工本费",
        "人像比对核验",
        "可以委托他人办理吗？",
        "12345政务服务便民热线",
        "回答几个问题，查看您需要准备的材料",
    ]:
        assert text in html, text


def test_guide_counts_a_view(client, guide):
    client.get(reverse("portal:guide", args=[guide.code]))
    assert Implementation.objects.get(pk=guide.pk).view_count == 51


def test_item_code_redirects_to_the_regional_implementation(client, guide):
    response = client.get(reverse("portal:guide", args=[guide.item.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:guide", args=[guide.code])


def test_unknown_item_is_a_chinese_404(client):
    response = client.get(reverse("portal:guide", args=["no-such-code"]))
    assert response.status_code == 404
    assert "抱歉，您要找的页面不存在" in response.content.decode()


def test_follow_up_question_is_hidden_until_its_answer_is_chosen(client, guide):
    # given the guide without answers
    html = client.get(reverse("portal:guide", args=[guide.code])).content.decode()
    # then the photo follow-up is rendered hidden and disabled (so it is not submitted)
    assert 'data-question="photo"\n        data-trigger-question="who" data-trigger-option="agent"' in html
    assert "hidden disabled" in html
    # when the visitor says an agent applies (no-script fallback: the whole page)
    html = _situation(client, guide, who="agent").content.decode()
    # then the follow-up is shown and listed as unanswered
    assert "hidden disabled" not in html
    assert "还有 1 个问题没有回答" in html or "还有 2 个问题没有回答" in html


def test_agent_answer_adds_power_of_attorney_with_reason(client, guide):
    # when
    response = _situation(client, guide, htmx=True, who="agent", photo="bring", poverty="no")
    # then the partial lists the situation-specific material and why
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "授权委托书" in html
    assert "代办需要本人签署的授权委托书" in html
    assert "合计：20.00 元" in html


def test_self_answer_leaves_power_of_attorney_out(client, guide):
    html = _situation(client, guide, htmx=True, who="self", poverty="no").content.decode()
    needed = html.split('data-testid="needed-materials"')[1].split("</ol>")[0]
    assert "居民身份证" in needed
    assert "授权委托书" not in needed


def test_removed_material_is_shown_with_reason(client, guide):
    html = _situation(client, guide, htmx=True, who="agent", photo="onsite", poverty="no").content.decode()
    removed = html.split('data-testid="removed-materials"')[1].split("</ul>")[0]
    assert "近期免冠照片" in removed
    assert "现场采集照片，无需自带" in removed


def test_fee_waiver_answer_makes_it_free(client, guide):
    html = _situation(client, guide, htmx=True, who="self", poverty="yes").content.decode()
    assert "不收费" in html
    assert "符合减免条件，免收费用" in html
    assert "合计" not in html


def test_answer_to_a_hidden_follow_up_is_ignored(client, guide):
    # given an answer to the photo question although the applicant comes in person
    html = _situation(client, guide, htmx=True, who="self", photo="onsite", poverty="no").content.decode()
    # then the photo is still needed
    needed = html.split('data-testid="needed-materials"')[1].split("</ol>")[0]
    assert "近期免冠照片" in needed


def test_unknown_answer_codes_are_dropped_not_refused(client, guide):
    response = _situation(client, guide, who="nobody", color="blue")
    assert response.status_code == 200
    assert "根据您的回答，需要准备的材料" in response.content.decode()


def test_situation_page_without_script_shows_the_form_and_result(client, guide):
    html = _situation(client, guide, who="self", poverty="no").content.decode()
    assert "<html" in html
    assert 'value="self" checked' in html
    assert "打印材料清单" in html


def test_back_button_restore_gets_the_whole_page(client, guide):
    # given htmx restoring the pushed wizard URL from history (it sends HX-Request too)
    response = client.get(
        reverse("portal:situation", args=[guide.code]),
        {"who": "self"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    # then the whole page comes back, and caches are told the answer depends on these headers
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]
