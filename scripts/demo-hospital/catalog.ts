/**
 * The demo hospital's dictionaries in both systems: departments, charge items, drugs, lab tests and
 * order items, with the legacy and new codes side by side. The `code_map` table is filled from here.
 */

export type DeptKind = 'outpatient' | 'inpatient' | 'icu' | 'emergency' | 'lab' | 'radiology' | 'pharmacy';

export interface Department {
  /** The migration plan's (new system's) code. */
  code: string;
  /** The old HIS code: 4 characters, digits or pinyin initials. */
  legacyCode: string;
  name: string;
  kind: DeptKind;
}

/** The 23 departments of the demo plan (domain/demo-plans.ts), in the plan's order. */
export const DEMO_DEPARTMENTS: readonly Department[] = [
  { code: 'IM-OPD', legacyCode: '0101', name: '内科门诊', kind: 'outpatient' },
  { code: 'LAB', legacyCode: '1001', name: '检验科', kind: 'lab' },
  { code: 'SURG-OPD', legacyCode: '0201', name: '外科门诊', kind: 'outpatient' },
  { code: 'PEDS-OPD', legacyCode: '0401', name: '儿科门诊', kind: 'outpatient' },
  { code: 'TCM-OPD', legacyCode: '0501', name: '中医科门诊', kind: 'outpatient' },
  { code: 'CARD-IP', legacyCode: '0111', name: '心血管内科病区', kind: 'inpatient' },
  { code: 'RESP-IP', legacyCode: '0112', name: '呼吸内科病区', kind: 'inpatient' },
  { code: 'RAD', legacyCode: '1002', name: '放射影像科', kind: 'radiology' },
  { code: 'OBGYN-OPD', legacyCode: '0301', name: '妇产科门诊', kind: 'outpatient' },
  { code: 'STOM-OPD', legacyCode: '0601', name: '口腔科门诊', kind: 'outpatient' },
  { code: 'OPHTH-OPD', legacyCode: '0602', name: '眼科门诊', kind: 'outpatient' },
  { code: 'ENT-OPD', legacyCode: '0603', name: '耳鼻喉科门诊', kind: 'outpatient' },
  { code: 'GI-IP', legacyCode: '0113', name: '消化内科病区', kind: 'inpatient' },
  { code: 'NEURO-IP', legacyCode: '0114', name: '神经内科病区', kind: 'inpatient' },
  { code: 'PHARM', legacyCode: '1101', name: '药剂科', kind: 'pharmacy' },
  { code: 'PHYS-EXAM', legacyCode: 'TJ01', name: '体检中心', kind: 'outpatient' },
  { code: 'GSURG-IP', legacyCode: '0211', name: '普外科病区', kind: 'inpatient' },
  { code: 'ORTHO-IP', legacyCode: '0212', name: '骨科病区', kind: 'inpatient' },
  { code: 'ONC-IP', legacyCode: '0115', name: '肿瘤科病区', kind: 'inpatient' },
  { code: 'OBGYN-IP', legacyCode: '0311', name: '妇产科病区', kind: 'inpatient' },
  { code: 'PEDS-IP', legacyCode: '0411', name: '儿科病区', kind: 'inpatient' },
  { code: 'ICU', legacyCode: 'ZZ01', name: '重症医学科', kind: 'icu' },
  { code: 'ED', legacyCode: 'JZ01', name: '急诊科', kind: 'emergency' },
];

/** Prices are in units of 0.0001 yuan (the new system's precision); the legacy system keeps cents. */
export interface PricedItem {
  legacyCode: string;
  newCode: string;
  name: string;
  price4: number;
}

export const CHARGE_ITEMS: readonly PricedItem[] = [
  { legacyCode: 'F110200001', newCode: 'SRV-CONSULT-GEN', name: '普通门诊诊查费', price4: 100_000 },
  { legacyCode: 'F110200005', newCode: 'SRV-CONSULT-EXP', name: '专家门诊诊查费', price4: 500_000 },
  { legacyCode: 'F250101015', newCode: 'LAB-CBC', name: '血细胞分析', price4: 200_000 },
  { legacyCode: 'F250305001', newCode: 'LAB-LFT', name: '肝功能', price4: 850_000 },
  { legacyCode: 'F250302001', newCode: 'LAB-GLU', name: '葡萄糖测定', price4: 50_000 },
  { legacyCode: 'F210102015', newCode: 'IMG-XR-CHEST', name: '胸部X线摄影', price4: 700_000 },
  { legacyCode: 'F210300001', newCode: 'IMG-CT-HEAD', name: '头颅CT平扫', price4: 2_300_000 },
  { legacyCode: 'F220600002', newCode: 'IMG-US-ABD', name: '腹部超声', price4: 1_200_000 },
  { legacyCode: 'F310701001', newCode: 'PRC-ECG', name: '常规心电图', price4: 250_000 },
  { legacyCode: 'F120400006', newCode: 'PRC-IV-INFUSION', name: '静脉输液', price4: 65_000 },
  { legacyCode: 'F120100002', newCode: 'NUR-GRADE2', name: '二级护理', price4: 160_000 },
  { legacyCode: 'F110900001', newCode: 'BED-GENERAL', name: '普通病房床位费', price4: 450_000 },
  { legacyCode: 'F121400001', newCode: 'PRC-NEBULIZER', name: '雾化吸入', price4: 87_500 },
  { legacyCode: 'F120600002', newCode: 'PRC-DRESSING-M', name: '换药(中)', price4: 240_000 },
  { legacyCode: 'C000210023', newCode: 'SUP-SYRINGE-5ML', name: '一次性注射器5ml', price4: 4_563 },
  { legacyCode: 'C000330011', newCode: 'SUP-IV-SET', name: '一次性输液器', price4: 23_750 },
];

export const DRUGS: readonly PricedItem[] = [
  { legacyCode: 'Y01000231', newCode: 'DRG-AMOX-250-CAP', name: '阿莫西林胶囊0.25g', price4: 3_425 },
  { legacyCode: 'Y01000518', newCode: 'DRG-CEFUROX-250-TAB', name: '头孢呋辛酯片0.25g', price4: 18_750 },
  { legacyCode: 'Y02000107', newCode: 'DRG-ASA-100-ECT', name: '阿司匹林肠溶片100mg', price4: 1_565 },
  { legacyCode: 'Y03000422', newCode: 'DRG-METF-500-TAB', name: '盐酸二甲双胍片0.5g', price4: 2_180 },
  { legacyCode: 'Y02000356', newCode: 'DRG-AMLO-5-TAB', name: '苯磺酸氨氯地平片5mg', price4: 9_833 },
  { legacyCode: 'Y04000213', newCode: 'DRG-OMEP-20-CAP', name: '奥美拉唑肠溶胶囊20mg', price4: 6_520 },
  { legacyCode: 'Y05000184', newCode: 'DRG-IBU-300-SRC', name: '布洛芬缓释胶囊0.3g', price4: 8_145 },
  { legacyCode: 'Y09000011', newCode: 'DRG-NS-250-INJ', name: '0.9%氯化钠注射液250ml', price4: 28_500 },
  { legacyCode: 'Y09000025', newCode: 'DRG-D5W-250-INJ', name: '5%葡萄糖注射液250ml', price4: 31_000 },
  { legacyCode: 'Y01000902', newCode: 'DRG-CEFTRX-1G-INJ', name: '注射用头孢曲松钠1g', price4: 124_600 },
  { legacyCode: 'Y02000633', newCode: 'DRG-ATOR-20-TAB', name: '阿托伐他汀钙片20mg', price4: 23_375 },
  { legacyCode: 'Y02000371', newCode: 'DRG-NIFE-30-CRT', name: '硝苯地平控释片30mg', price4: 31_250 },
  { legacyCode: 'Y04000560', newCode: 'DRG-SMEC-3G-PWD', name: '蒙脱石散3g', price4: 10_400 },
  { legacyCode: 'Z06000088', newCode: 'DRG-LHQW-CAP', name: '连花清瘟胶囊', price4: 5_150 },
];

export interface LabTest {
  code: string;
  name: string;
  /** The two systems spell units differently (case, micro sign U+00B5 vs Greek mu U+03BC, full-width percent). */
  legacyUnit: string;
  newUnit: string;
  low: number;
  high: number;
  decimals: number;
}

export const LAB_TESTS: readonly LabTest[] = [
  { code: 'WBC', name: '白细胞计数', legacyUnit: '10^9/L', newUnit: '10^9/L', low: 3.5, high: 9.5, decimals: 2 },
  { code: 'HGB', name: '血红蛋白', legacyUnit: 'G/L', newUnit: 'g/L', low: 115, high: 175, decimals: 0 },
  { code: 'PLT', name: '血小板计数', legacyUnit: '10^9/L', newUnit: '10^9/L', low: 125, high: 350, decimals: 0 },
  { code: 'NEUT%', name: '中性粒细胞百分比', legacyUnit: '％', newUnit: '%', low: 40, high: 75, decimals: 1 },
  { code: 'GLU', name: '葡萄糖', legacyUnit: 'MMOL/L', newUnit: 'mmol/L', low: 3.9, high: 6.1, decimals: 2 },
  { code: 'CREA', name: '肌酐', legacyUnit: '\u00b5mol/L', newUnit: '\u03bcmol/L', low: 57, high: 111, decimals: 1 },
  { code: 'TBIL', name: '总胆红素', legacyUnit: '\u00b5mol/L', newUnit: '\u03bcmol/L', low: 3.4, high: 20.5, decimals: 1 },
  { code: 'ALT', name: '丙氨酸氨基转移酶', legacyUnit: 'U/L', newUnit: 'U/L', low: 9, high: 50, decimals: 0 },
  { code: 'K', name: '钾', legacyUnit: 'MMOL/L', newUnit: 'mmol/L', low: 3.5, high: 5.3, decimals: 2 },
  { code: 'CRP', name: 'C反应蛋白', legacyUnit: 'MG/L', newUnit: 'mg/L', low: 0, high: 10, decimals: 1 },
];

export type OrderCategory = 'medication' | 'laboratory' | 'imaging' | 'procedure';

/** Legacy order classes (pinyin initials of 药品, 检验, 检查, 治疗) and their new categories. */
export const ORDER_CLASSES: Record<string, OrderCategory> = { YP: 'medication', JY: 'laboratory', JC: 'imaging', ZL: 'procedure' };

export const ORDER_TEXTS: Record<OrderCategory, readonly string[]> = {
  medication: DRUGS.map((d) => d.name),
  laboratory: ['血常规(五分类)', '肝功能(8项)', '肾功能(3项)', '电解质(4项)', 'C反应蛋白(CRP)', '空腹血糖'],
  imaging: ['胸部X线(正位)', '头颅CT平扫', '腹部B超(肝胆胰脾)', 'MRI腰椎平扫', '心脏彩超'],
  procedure: ['静脉输液', '换药(中)', '雾化吸入', '心电图检查(12导联)', '吸氧(鼻导管)'],
};

/** Legacy codes of new charge items / drugs not yet in the migration plan's mapping. */
export const UNMAPPED_CHARGE_PREFIX = 'F9990';
export const UNMAPPED_DRUG_PREFIX = 'Y9990';

export type CodeMapKind = 'dept' | 'charge' | 'drug';

/** Rows of the `code_map` table. */
export function codeMapRows(): { kind: CodeMapKind; legacyCode: string; newCode: string }[] {
  return [
    ...DEMO_DEPARTMENTS.map((d) => ({ kind: 'dept' as const, legacyCode: d.legacyCode, newCode: d.code })),
    ...CHARGE_ITEMS.map((c) => ({ kind: 'charge' as const, legacyCode: c.legacyCode, newCode: c.newCode })),
    ...DRUGS.map((c) => ({ kind: 'drug' as const, legacyCode: c.legacyCode, newCode: c.newCode })),
  ];
}
