"""RULES.md §1.2: the source ids rules cite, with their full reference text."""

from __future__ import annotations

import re

SOURCES: dict[str, str] = {
    "REF-CODING": (
        "reference/cart-infusion-coding-basics.txt: a trade article on CAR-T infusion coding "
        "(MedLearn Media / ICD10monitor, written for 2023). It covers the 0537T–0540T family, "
        "once-per-day limits, E/M with modifier 25, hydration and supportive drugs, modifier 59, "
        "and lymphodepleting chemo. It cites SE19009 and MM11216. Reached: read in full. "
        "Reliability: secondary; stays close to CPT and SE19009 wording."
    ),
    "REF-CY2025": (
        "reference/cart-cy2025-outpatient-codes.txt: an advocacy piece asking CMS to pay "
        "separately for outpatient CAR-T collection and processing in CY2025. It lists CMS's "
        "CY2025 OPPS *proposal* by placeholder CPT numbers 3X018–3X021 and argues for changing "
        "the Q-code descriptors. Reached: read in full. Reliability: advocacy; reliable for what "
        'CMS *proposed*; its "should finalize" values were never adopted.'
    ),
    "SE19009": (
        'CMS MLN Matters Special Edition SE19009, "billing for CAR T-cell therapy", released '
        "2019-05-28. It replaced Section 6 of MM11216. Reached: via [CHA-2019], [RCA-2019], "
        "[CGS-2021], [NGS-SE19009], [MM11216]. Reliability: CMS; the text itself was not "
        "retrieved, so its example scenarios are U."
    ),
    "MM11216": (
        'MLN Matters MM11216, CR 11216, Transmittal R4255CP: "April 2019 Update of the OPPS". '
        "Released 2019-03-15; effective and implemented 2019-04-01. Revised 2019-10-29: SE19009 "
        "replaces its Section 6 (CAR-T, pp. 5–7). Reached: article header read (public copy); "
        "CAR-T content via [NAHRI-2019]. Reliability: CMS."
    ),
    "OPPS-2019-FR": (
        "CY2019 OPPS/ASC final rule with comment period, CMS-1695-FC, 83 FR 58818, 2018-11-21 (FR "
        'Doc 2018-24243). Section "CAR T therapy (APCs 5694, 9035, and 9094)". Correction: 83 FR '
        "67083, 2018-12-28. Reached: section heading and opening via a public repost; status "
        "indicators via [MM11216]/[NAHRI-2019]/[CHA-2019]. Reliability: CMS."
    ),
    "OPPS-2025-PR": (
        "CY2025 OPPS proposed rule, Federal Register 2024-07-22. Reached: via [REF-CY2025] Table "
        "1. Reliability: CMS proposal."
    ),
    "OPPS-2025-FR": (
        "CY2025 OPPS/ASC final rule: display copy 2024-11-01, Federal Register 2024-11-27. "
        "Correcting amendment 90 FR 2631, 2025-01-13 (FR Doc 2025-00081), effective 2025-01-08, "
        "applicable from 2025-01-01. Reached: via [AABB-OPPS-2025] (CAR-T paragraph cut off), "
        "[ASH-OPPS-2025], Justia/FR tracker for the correction. Reliability: CMS; CAR-T status "
        "indicators P."
    ),
    "PFS-2025-FR": (
        "CY2025 Physician Fee Schedule final rule (2024-11-01). 38228 paid separately; "
        '38225–38227 bundled "to remain in alignment with OPPS". Reached: via [AABB-PFS-2025]. '
        "Reliability: CMS via society summary."
    ),
    "PFS-2026": (
        "CY2026 PFS proposed rule (bundle 38225–38227 into the product) and final rule (2025-11: "
        "bundling continued and extended to other autologous cell and gene therapies). Reached: "
        "via [AABB-PFS-2026-PR], [AABB-PFS-2026-FR]. Reliability: CMS via society summary."
    ),
    "CPT-2025-CART": (
        "CPT Category I codes 38225–38228, effective 2025-01-01, replacing 0537T–0540T. Per-day "
        "note for collection and administration. Reached: code-lookup and HIMA blog pages; "
        "[CT360-CLAIM] for the replacement date. Reliability: AMA text via third parties."
    ),
    "NUBC-REV": (
        "NUBC revenue codes 087X (cell/gene therapy) and 089X (pharmacy extension), value code "
        "86, effective 2019-04-01. Reached: via a BCBS ND reimbursement policy (NDRP-GC-016) and "
        "[CGS-2021]/[CHA-2019]; 0892 via [VISANTE-REV]. Reliability: NUBC via payer/MAC."
    ),
    "NUBC-CC90": (
        "NUBC condition codes 90 (expanded access approval) and 91 (emergency use authorization), "
        "effective 2021-02-01. Reached: via [VISANTE-CC90]. Reliability: NUBC via consultant."
    ),
    "NGS-IP": (
        'NGS (Medicare MAC) article "Hospitals Must Correctly Code Claims Involving CAR T-cell '
        'and Other Immunotherapy" (CR 11879, CR 13926). Reached: read (excerpt). Reliability: '
        "MAC."
    ),
    "MM14247": (
        "MLN Matters MM14247, CR 14247, Transmittal R13460CP. Released 2025-12-23; effective "
        "2025-10-01; implemented 2026-01-26. Claims Processing Manual ch. 32 §400.3: MS-DRG 018 "
        "payment-adjustment scenarios. Reached: via Noridian JE Part A summary. Reliability: CMS "
        "via MAC."
    ),
    "CMS-ZC": (
        "CMS change request: FISS automatically applies payer-only condition code ZC to MS-DRG "
        "018 cases involving a clinical trial of a *different* product. HHS guidance repository, "
        "issued 2025-01-10; implemented 2025-07-07 per [NGS-IP]. Reached: read (excerpt). "
        "Reliability: CMS."
    ),
    "BMS-CT360": (
        "Bristol Myers Squibb Cell Therapy 360 billing pages (Abecma, Breyanzi, claim "
        "submission). Covers Z00.6, CC 30, value code D4 + NCT, CC 90, and NTE billing notes. "
        "Reached: read (excerpts). Reliability: manufacturer; cross-checked with [NGS-IP]."
    ),
    "FCSO-NCD": (
        "First Coast (MAC) NCD 110.24 billing page. NCD effective 2019-08-07; MM12177, MM12928; "
        "FDA removed CAR-T REMS on 2025-06-26; Part B MACs no longer require KX. Reached: read "
        "(excerpts). Reliability: MAC."
    ),
    "NGS-KX": (
        "NGS FAQ: KX on 0540T Part B claims, CR 12177 implemented 2021-09-20, accepted from "
        "2019-08-07. Reached: read. Reliability: MAC."
    ),
    "NAHRI-2019": (
        "NAHRI summary of Transmittal 4255 (April 2019 OPPS). Q2041/Q2042 pass-through continued, "
        "with their descriptors; 0537T–0539T at status indicator B. Reached: read. Reliability: "
        "trade association."
    ),
    "CHA-2019": (
        'California Hospital Association: "CMS Updates CAR-T Billing Instructions" (on SE19009). '
        "Reached: read. Reliability: trade association."
    ),
    "RCA-2019": ("Revenue Cycle Advisor, 2019-06-05, on SE19009. Reached: read. Reliability: trade press."),
    "CGS-2021": (
        "CGS (Medicare MAC) Part A article, 2021-05-25, CAR-T (service-date paragraph cut off). "
        "Reached: read. Reliability: MAC."
    ),
    "Q-MAP": (
        "Q-code ↔ product sources: [NAHRI-2019] (Q2041, Q2042); a policy listing C9073 and Q2053, "
        "effective 2021-01-01; a payer policy for Breyanzi (C9076 from 2021-07-01); Texas "
        "Medicaid (TMHP) notice 2025-07-11 (Q2058 = obecabtagene autoleucel, Aucatzyl); "
        "carecostestimate / clearcostestimate drug pages (Q2053–Q2056 descriptors). Reached: "
        'read. Reliability: mixed. The carecostestimate pages also name a non-existent "0541T", '
        "so they are used for code↔drug mapping only.."
    ),
    "FDA-NDC": (
        "openFDA NDC records: marketing start dates (Tecartus 2020-07-24, Carvykti 2022-02-28, "
        "Aucatzyl 2024-11-08). Reached: read. Reliability: FDA data (listing dates, not HCPCS "
        "dates)."
    ),
    "X12-SV2": (
        "X12 005010 SV2 element definitions (Stedi) and an 837I TR3 excerpt (SV202 situational "
        "rule). Reached: read. Reliability: standard reference."
    ),
    "MOD-X": (
        "CR 8863 / Transmittal 1422: X{EPSU} modifiers effective 2015-01-01 (AAPC, ACOG, payer "
        "notices). Reached: read. Reliability: CMS via secondary."
    ),
    "MOD-Q": ("Noridian and NGS modifier pages for Q0 and Q1 (effective 2008-01-01). Reached: read. Reliability: MAC."),
    "EM-OPPS": (
        "G0463 replaced 99201–99215 for OPPS clinic visits from 2014-01-01; the ED codes "
        "99281–99285 were kept (AAPC on the CY2014 OPPS final rule; code-lookup pages). Reached: "
        "read. Reliability: secondary."
    ),
    "CPT-ADMIN": (
        "Descriptors for hydration, infusion, push and chemotherapy administration (code-lookup "
        'pages). CMS hospital rule "one initial drug administration service per vascular access '
        'site per encounter; report on the day provided" (quoted from CMS R1702CP by a '
        "consultant). Reached: read. Reliability: AMA text via third parties."
    ),
    "AABB-OPPS-2025": (
        "AABB news, 2024-11-12: CY2025 OPPS final rule summary (C-APC exclusion; the CAR-T "
        "collection sentence is cut off in the stored copy)"
    ),
    "ASH-OPPS-2025": (
        "American Society of Hematology summary of the CY2025 OPPS final rule (cell/gene therapy "
        "C-APC exclusion, p. 67 of the display copy)"
    ),
    "AABB-PFS-2025": (
        'AABB news, 2024-11-06: CY2025 PFS final rule. 38228 paid; 38225–38227 bundled, "in '
        'alignment with OPPS". The AABB text misprints one code as "38228" in the bundled list'
    ),
    "AABB-PFS-2026-PR": (
        "AABB/ASFA news, 2025-09-09: CY2026 PFS proposal to fold 38225–38227 into product payment "
        '(AABB misprints "38266")'
    ),
    "AABB-PFS-2026-FR": (
        "AABB news, 2025-11-05: CY2026 PFS final rule keeps the bundling and extends it to other "
        "autologous cell-based immuno/gene therapies"
    ),
    "CT360-CLAIM": (
        'BMS Cell Therapy 360 "Claim Submission by Treatment Center": Cat III CAR-T codes from '
        "2019; Cat I codes replaced them 2025-01-01; revenue codes 2019; MA plans pay CAR-T from "
        "2021-01; new products may use miscellaneous codes first"
    ),
    "AAP-CATIII": ("AAP Coding News: 0537T–0540T released 2018-07-01, implemented 2019-01-01"),
    "VISANTE-REV": ("Visante pharmacy newsletter: 089x range, 0891 = CAR-T, 0892 = gene therapy"),
    "VISANTE-CC90": ("Visante newsletter: NUBC condition codes 90/91 effective 2021-02-01"),
    "NGS-SE19009": (
        "NGS reminder: follow SE19009 to avoid CAR-T claim rejections (rejected claims have no appeal rights)"
    ),
}

DESIGN_SOURCES = {"DESIGN.md": "cart837 DESIGN.md (architecture and invariants)"}
_ID = re.compile(r"\[([A-Za-z0-9.-]+)\]")


def source_ids(citation: str) -> list[str]:
    """Return the [ID]s a citation names, in order."""
    return _ID.findall(citation)


def references(citation: str) -> list[tuple[str, str]]:
    """Resolve each [ID] of a citation to its RULES.md §1.2 text."""
    known = {**SOURCES, **DESIGN_SOURCES}  # CART-021/022 cite DESIGN.md itself
    return [(source, known.get(source, "not in RULES.md §1.2")) for source in source_ids(citation)]
