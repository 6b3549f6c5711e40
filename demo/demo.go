// Package demo is the demo catalog seeded into an empty database: a handful of
// cross-border categories and products in three languages, pickup points in
// Shanghai and Hangzhou, and locally rendered product pictures (RenderImage),
// so a fresh install has something to browse, order and pick up without any
// network access.
package demo

import (
	"context"
	"fmt"

	"shopbot/commerce"
)

// ImagePrefix starts the Product.Image key of every demo product
// ("demo:COS-001"); RenderImage draws the picture for such a key.
const ImagePrefix = "demo:"

// DemoProduct is a demo product with its category named by slug, because IDs
// are assigned by the store when the catalog is seeded.
type DemoProduct struct {
	commerce.Product
	CategorySlug string
}

// Category slugs of the demo catalog.
const (
	SlugCosmetics   = "cosmetics"
	SlugBaby        = "baby"
	SlugSnacks      = "snacks"
	SlugElectronics = "electronics"
	SlugHealth      = "health"
)

// Categories returns the demo categories, in browsing order. Each call returns
// fresh values the caller may modify.
func Categories() []commerce.Category {
	return []commerce.Category{
		{Slug: SlugCosmetics, Sort: 10, Title: commerce.Text{
			"zh-CN": "美妆护肤", "en": "Cosmetics & skincare", "ru": "Косметика и уход"}},
		{Slug: SlugBaby, Sort: 20, Title: commerce.Text{
			"zh-CN": "母婴用品", "en": "Baby formula & care", "ru": "Детское питание и уход"}},
		{Slug: SlugSnacks, Sort: 30, Title: commerce.Text{
			"zh-CN": "进口零食", "en": "Snacks & sweets", "ru": "Снеки и сладости"}},
		{Slug: SlugElectronics, Sort: 40, Title: commerce.Text{
			"zh-CN": "数码电器", "en": "Electronics", "ru": "Электроника"}},
		{Slug: SlugHealth, Sort: 50, Title: commerce.Text{
			"zh-CN": "营养保健", "en": "Health supplements", "ru": "БАДы и витамины"}},
	}
}

// product builds one demo product; the image key is derived from the SKU.
func product(slug, sku string, title, desc commerce.Text, fen int64, o commerce.Origin, stock int) DemoProduct {
	return DemoProduct{
		CategorySlug: slug,
		Product: commerce.Product{
			SKU:         sku,
			Title:       title,
			Description: desc,
			Price:       commerce.CNY(fen),
			Origin:      o,
			Stock:       stock,
			Image:       ImagePrefix + sku,
			Active:      true,
		},
	}
}

// Products returns the demo products. COS-003 has 3 units left and COS-004 is
// sold out, so the low-stock and sold-out paths show in a fresh install. Each
// call returns fresh values the caller may modify.
func Products() []DemoProduct {
	return []DemoProduct{
		// Cosmetics & skincare.
		product(SlugCosmetics, "COS-001",
			commerce.Text{"zh-CN": "玻尿酸精华液 30 ml", "en": "Hyaluronic acid serum 30 ml", "ru": "Сыворотка с гиалуроновой кислотой, 30 мл"},
			commerce.Text{
				"zh-CN": "韩国产保湿精华，含三种分子量玻尿酸，适合各类肤质。开封后12个月内使用。",
				"en":    "Hydrating serum made in South Korea with three molecular weights of hyaluronic acid, for all skin types. Use within 12 months of opening.",
				"ru":    "Увлажняющая сыворотка из Южной Кореи с гиалуроновой кислотой трёх молекулярных масс, для любого типа кожи. Использовать в течение 12 месяцев после вскрытия.",
			},
			15900, commerce.OriginBonded, 120),
		product(SlugCosmetics, "COS-002",
			commerce.Text{"zh-CN": "清爽防晒乳 SPF50+ 50 ml", "en": "Sunscreen milk SPF50+ 50 ml", "ru": "Солнцезащитное молочко SPF50+, 50 мл"},
			commerce.Text{
				"zh-CN": "日本产水感防晒乳，SPF50+ PA++++，防水防汗，不泛白。保质期3年。",
				"en":    "Lightweight water-resistant sunscreen from Japan, SPF50+ PA++++, leaves no white cast. Shelf life 3 years.",
				"ru":    "Лёгкое водостойкое солнцезащитное молочко из Японии, SPF50+ PA++++, не оставляет белых следов. Срок годности 3 года.",
			},
			8900, commerce.OriginBonded, 200),
		product(SlugCosmetics, "COS-003",
			commerce.Text{"zh-CN": "米萃洁面泡沫 120 g", "en": "Rice-water cleansing foam 120 g", "ru": "Пенка для умывания с рисовой водой, 120 г"},
			commerce.Text{
				"zh-CN": "日本产温和氨基酸洁面，含发酵米精华，适合每日早晚使用。保质期3年。",
				"en":    "Gentle amino-acid face wash from Japan with fermented rice extract, for morning and evening use. Shelf life 3 years.",
				"ru":    "Мягкая пенка на аминокислотах из Японии с экстрактом ферментированного риса, для утреннего и вечернего умывания. Срок годности 3 года.",
			},
			5900, commerce.OriginDutyPaid, 3),
		product(SlugCosmetics, "COS-004",
			commerce.Text{"zh-CN": "视黄醇晚霜 50 ml", "en": "Retinol night cream 50 ml", "ru": "Ночной крем с ретинолом, 50 мл"},
			commerce.Text{
				"zh-CN": "法国药房护肤线，0.3%视黄醇，淡化细纹。从法国直邮，约10–15天到自提点。",
				"en":    "French pharmacy-line cream with 0.3% retinol to smooth fine lines. Mailed from France, about 10–15 days to the pickup point.",
				"ru":    "Крем аптечной линии из Франции с 0,3% ретинола против мелких морщин. Отправка почтой из Франции, около 10–15 дней до пункта выдачи.",
			},
			32900, commerce.OriginDirectMail, 0),

		// Baby formula & care.
		product(SlugBaby, "BAB-001",
			commerce.Text{"zh-CN": "3段婴幼儿配方奶粉 800 g", "en": "Stage 3 infant formula 800 g", "ru": "Детская смесь, 3 ступень, 800 г"},
			commerce.Text{
				"zh-CN": "荷兰产，适合1–3岁幼儿，含DHA与益生元。未开封保质期18个月，开罐后4周内食用。",
				"en":    "Made in the Netherlands for toddlers aged 1–3, with DHA and prebiotics. 18 months unopened; use within 4 weeks of opening.",
				"ru":    "Произведено в Нидерландах, для детей 1–3 лет, с DHA и пребиотиками. Срок годности 18 месяцев, после вскрытия — 4 недели.",
			},
			23800, commerce.OriginBonded, 60),
		product(SlugBaby, "BAB-002",
			commerce.Text{"zh-CN": "1段婴儿配方奶粉 800 g", "en": "Stage 1 infant formula 800 g", "ru": "Детская смесь, 1 ступень, 800 г"},
			commerce.Text{
				"zh-CN": "爱尔兰牧场奶源，适合0–6个月婴儿。从爱尔兰直邮，单罐清关，保质期18个月。",
				"en":    "Grass-fed Irish milk formula for babies aged 0–6 months. Mailed from Ireland and cleared per tin; shelf life 18 months.",
				"ru":    "Смесь на молоке ирландских ферм для детей 0–6 месяцев. Отправка из Ирландии, таможня — по каждой банке; срок годности 18 месяцев.",
			},
			26800, commerce.OriginDirectMail, 25),
		product(SlugBaby, "BAB-003",
			commerce.Text{"zh-CN": "婴儿湿巾 80抽×8包", "en": "Baby wipes 8 × 80 sheets", "ru": "Детские влажные салфетки, 8 × 80 шт."},
			commerce.Text{
				"zh-CN": "日本产，99%纯水，无香料无酒精，加厚珍珠纹。保质期3年。",
				"en":    "Made in Japan, 99% purified water, fragrance- and alcohol-free, thick embossed sheets. Shelf life 3 years.",
				"ru":    "Произведено в Японии: 99% очищенной воды, без отдушек и спирта, плотные рельефные салфетки. Срок годности 3 года.",
			},
			9900, commerce.OriginDutyPaid, 150),
		product(SlugBaby, "BAB-004",
			commerce.Text{"zh-CN": "婴儿护臀膏 75 g", "en": "Baby diaper cream 75 g", "ru": "Крем под подгузник, 75 г"},
			commerce.Text{
				"zh-CN": "德国产，含氧化锌与泛醇，预防和舒缓红屁屁。开封后12个月内使用。",
				"en":    "German zinc oxide and panthenol cream that prevents and soothes nappy rash. Use within 12 months of opening.",
				"ru":    "Крем из Германии с оксидом цинка и пантенолом, защищает и успокаивает кожу под подгузником. Использовать в течение 12 месяцев после вскрытия.",
			},
			4900, commerce.OriginBonded, 40),

		// Snacks & sweets.
		product(SlugSnacks, "SNK-001",
			commerce.Text{"zh-CN": "抹茶夹心威化 12条装", "en": "Matcha cream wafers, 12 bars", "ru": "Вафли с кремом матча, 12 шт."},
			commerce.Text{
				"zh-CN": "日本产宇治抹茶夹心威化，独立包装。保质期10个月，请避免高温存放。",
				"en":    "Crisp wafers with Uji matcha cream from Japan, individually wrapped. Shelf life 10 months; keep away from heat.",
				"ru":    "Хрустящие вафли с кремом из матчи Удзи, Япония, в индивидуальной упаковке. Срок годности 10 месяцев; хранить вдали от тепла.",
			},
			4500, commerce.OriginLocal, 180),
		product(SlugSnacks, "SNK-002",
			commerce.Text{"zh-CN": "蜂蜜黄油薯片 60 g×6", "en": "Honey butter potato chips 6 × 60 g", "ru": "Картофельные чипсы «мёд и масло», 6 × 60 г"},
			commerce.Text{
				"zh-CN": "韩国人气口味，甜咸酥脆。6袋装，保质期9个月。",
				"en":    "The sweet-and-salty Korean favourite, extra crunchy. Six bags; shelf life 9 months.",
				"ru":    "Популярный в Корее сладко-солёный вкус, очень хрустящие. Шесть пачек; срок годности 9 месяцев.",
			},
			3990, commerce.OriginDutyPaid, 100),
		product(SlugSnacks, "SNK-003",
			commerce.Text{"zh-CN": "阿尔卑斯牛奶巧克力 300 g", "en": "Alpine milk chocolate bar 300 g", "ru": "Альпийский молочный шоколад, 300 г"},
			commerce.Text{
				"zh-CN": "瑞士产大板牛奶巧克力，可可脂含量32%。保质期12个月，18°C以下保存。",
				"en":    "Large Swiss milk chocolate bar with 32% cocoa solids. Shelf life 12 months; store below 18 °C.",
				"ru":    "Большая плитка швейцарского молочного шоколада, 32% какао. Срок годности 12 месяцев; хранить ниже 18 °C.",
			},
			7900, commerce.OriginBonded, 70),
		product(SlugSnacks, "SNK-004",
			commerce.Text{"zh-CN": "阿尔泰荞麦蜂蜜 500 g", "en": "Altai buckwheat honey 500 g", "ru": "Алтайский гречишный мёд, 500 г"},
			commerce.Text{
				"zh-CN": "俄罗斯阿尔泰山区深色荞麦蜜，味浓微苦，玻璃罐装。保质期24个月。",
				"en":    "Dark, rich buckwheat honey from the Altai mountains of Russia, in a glass jar. Shelf life 24 months.",
				"ru":    "Тёмный насыщенный гречишный мёд с Алтая, в стеклянной банке. Срок годности 24 месяца.",
			},
			5800, commerce.OriginDirectMail, 30),

		// Electronics.
		product(SlugElectronics, "ELE-001",
			commerce.Text{"zh-CN": "主动降噪无线耳机", "en": "Noise-cancelling wireless earbuds", "ru": "Беспроводные наушники с шумоподавлением"},
			commerce.Text{
				"zh-CN": "蓝牙5.3，主动降噪，单次续航8小时，充电盒共30小时，USB-C充电。国行质保1年。",
				"en":    "Bluetooth 5.3 with active noise cancelling, 8 h per charge and 30 h with the USB-C case. One-year warranty in China.",
				"ru":    "Bluetooth 5.3, активное шумоподавление, 8 ч работы и 30 ч с кейсом USB-C. Гарантия 1 год в Китае.",
			},
			39900, commerce.OriginDutyPaid, 35),
		product(SlugElectronics, "ELE-002",
			commerce.Text{"zh-CN": "20000 mAh 快充移动电源", "en": "Power bank 20,000 mAh USB-C PD", "ru": "Пауэрбанк 20 000 мА·ч, USB-C PD"},
			commerce.Text{
				"zh-CN": "支持USB-C PD 65W快充，可为笔记本充电，可带上飞机。本地现货，当天可到自提点。",
				"en":    "65 W USB-C Power Delivery, charges laptops, allowed in cabin luggage. In local stock, at the pickup point the same day.",
				"ru":    "USB-C Power Delivery 65 Вт, заряжает ноутбуки, можно брать в ручную кладь. Есть на местном складе, в пункте выдачи в тот же день.",
			},
			16900, commerce.OriginLocal, 90),
		product(SlugElectronics, "ELE-003",
			commerce.Text{"zh-CN": "声波电动牙刷 含2个刷头", "en": "Sonic electric toothbrush, 2 heads", "ru": "Звуковая электрическая зубная щётка, 2 насадки"},
			commerce.Text{
				"zh-CN": "德国设计，3种清洁模式，2分钟智能计时，充满电可用4周。220 V国标充电座。",
				"en":    "German-designed, three cleaning modes and a 2-minute timer; a full charge lasts 4 weeks. 220 V charger with a Chinese plug.",
				"ru":    "Немецкий дизайн, три режима чистки и 2-минутный таймер; заряда хватает на 4 недели. Зарядка 220 В с китайской вилкой.",
			},
			25900, commerce.OriginBonded, 45),

		// Health supplements.
		product(SlugHealth, "HLT-001",
			commerce.Text{"zh-CN": "深海鱼油 Omega-3 软胶囊 180粒", "en": "Omega-3 fish oil, 180 softgels", "ru": "Омега-3 рыбий жир, 180 капсул"},
			commerce.Text{
				"zh-CN": "挪威产高纯度鱼油，每粒含EPA+DHA 600 mg，每日2粒，可吃3个月。保质期24个月。",
				"en":    "High-purity fish oil from Norway, 600 mg EPA+DHA per softgel; two a day last 3 months. Shelf life 24 months.",
				"ru":    "Очищенный рыбий жир из Норвегии, 600 мг EPA+DHA в капсуле; по две в день — на 3 месяца. Срок годности 24 месяца.",
			},
			18900, commerce.OriginBonded, 75),
		product(SlugHealth, "HLT-002",
			commerce.Text{"zh-CN": "维生素D3+K2滴剂 20 ml", "en": "Vitamin D3 + K2 drops 20 ml", "ru": "Витамин D3 + K2, капли, 20 мл"},
			commerce.Text{
				"zh-CN": "德国产，每滴含D3 1000 IU与K2 20 µg，约600滴。从德国直邮，保质期24个月。",
				"en":    "Made in Germany, 1000 IU D3 and 20 µg K2 per drop, about 600 drops. Mailed from Germany; shelf life 24 months.",
				"ru":    "Произведено в Германии: 1000 МЕ D3 и 20 мкг K2 в капле, около 600 капель. Отправка из Германии; срок годности 24 месяца.",
			},
			12900, commerce.OriginDirectMail, 50),
		product(SlugHealth, "HLT-003",
			commerce.Text{"zh-CN": "益生菌胶囊 30粒", "en": "Probiotic capsules, 30 count", "ru": "Пробиотик, 30 капсул"},
			commerce.Text{
				"zh-CN": "澳大利亚产，10种菌株，每粒含300亿活菌，无需冷藏。保质期18个月。",
				"en":    "Made in Australia, 10 strains and 30 billion CFU per capsule, no refrigeration needed. Shelf life 18 months.",
				"ru":    "Произведено в Австралии: 10 штаммов, 30 млрд КОЕ в капсуле, не требует холодильника. Срок годности 18 месяцев.",
			},
			21900, commerce.OriginBonded, 20),
	}
}

// daily is a schedule open every day from open to close (minutes after midnight).
func daily(open, close int) commerce.WeeklyHours {
	var w commerce.WeeklyHours
	for d := range w {
		w[d] = commerce.DayHours{Open: open, Close: close}
	}
	return w
}

// closedOn are the demo counters' holidays: the first days of the National
// Day week and of the Spring Festival.
func closedOn() []commerce.Date {
	return []commerce.Date{
		{Year: 2026, Month: 10, Day: 1}, {Year: 2026, Month: 10, Day: 2},
		{Year: 2027, Month: 2, Day: 5}, {Year: 2027, Month: 2, Day: 6}, {Year: 2027, Month: 2, Day: 7},
	}
}

// PickupPoints returns the demo pickup points: two in Shanghai, one in
// Hangzhou, open 10:00–21:00 every day but holidays. Each has one staff
// identity on the web chat ("web:staff-jingan" …) so redemption can be tried
// without any chat platform. Each call returns fresh values the caller may
// modify.
//
// Addresses leave out the city, which texts show beside them.
func PickupPoints() []commerce.PickupPoint {
	shanghai := commerce.Text{"zh-CN": "上海", "en": "Shanghai", "ru": "Шанхай"}
	hangzhou := commerce.Text{"zh-CN": "杭州", "en": "Hangzhou", "ru": "Ханчжоу"}
	return []commerce.PickupPoint{
		{
			Code: "SH-JINGAN",
			City: shanghai,
			Name: commerce.Text{"zh-CN": "静安寺自提点", "en": "Jing'an Temple pickup point", "ru": "Пункт выдачи «Храм Цзинъань»"},
			Address: commerce.Text{
				"zh-CN": "静安区南京西路1618号1楼",
				"en":    "1F, 1618 West Nanjing Road, Jing'an District",
				"ru":    "район Цзинъань, Западная Нанкинская ул., 1618, 1 этаж",
			},
			Hours: "10:00–21:00", TimeZone: "Asia/Shanghai",
			Lat: 31.2236, Lon: 121.4457, Active: true,
			Opening: daily(10*60, 21*60), Holidays: closedOn(),
			SlotMinutes: 15, SlotCapacity: 3, // a small counter on a busy street
			Staff: []string{"web:staff-jingan"},
		},
		{
			Code: "SH-LUJIAZUI",
			City: shanghai,
			Name: commerce.Text{"zh-CN": "陆家嘴自提点", "en": "Lujiazui pickup point", "ru": "Пункт выдачи «Луцзяцзуй»"},
			Address: commerce.Text{
				"zh-CN": "浦东新区陆家嘴环路168号B1层",
				"en":    "B1, 168 Lujiazui Ring Road, Pudong New Area",
				"ru":    "район Пудун, Кольцевая дорога Луцзяцзуй, 168, цокольный этаж B1",
			},
			Hours: "10:00–21:00", TimeZone: "Asia/Shanghai",
			Lat: 31.2380, Lon: 121.5020, Active: true,
			Opening: daily(10*60, 21*60), Holidays: closedOn(),
			SlotMinutes: 30, SlotCapacity: 6, // office towers: lunch and after-work rushes
			Staff: []string{"web:staff-lujiazui"},
		},
		{
			Code: "HZ-WULIN",
			City: hangzhou,
			Name: commerce.Text{"zh-CN": "武林广场自提点", "en": "Wulin Square pickup point", "ru": "Пункт выдачи «Площадь Улинь»"},
			Address: commerce.Text{
				"zh-CN": "拱墅区延安路528号1楼",
				"en":    "1F, 528 Yan'an Road, Gongshu District",
				"ru":    "район Гуншу, ул. Яньань, 528, 1 этаж",
			},
			Hours: "10:00–21:00", TimeZone: "Asia/Shanghai",
			Lat: 30.2728, Lon: 120.1630, Active: true,
			Opening: daily(10*60, 21*60), Holidays: closedOn(),
			SlotMinutes: 30, SlotCapacity: 4,
			Staff: []string{"web:staff-wulin"},
		},
	}
}

// Seed writes the demo catalog and pickup points: categories first, then the
// products with their category slugs resolved to the IDs the store returned,
// then the pickup points. Everything is an upsert by slug, SKU or code, so
// seeding twice leaves the same data (and overwrites edits to demo records,
// stock included).
func Seed(ctx context.Context, s interface {
	commerce.CatalogStore
	commerce.PickupStore
}) error {
	ids := make(map[string]int64)
	for _, c := range Categories() {
		saved, err := s.UpsertCategory(ctx, c)
		if err != nil {
			return fmt.Errorf("seed demo category %s: %w", c.Slug, err)
		}
		ids[c.Slug] = saved.ID
	}
	for _, dp := range Products() {
		id, ok := ids[dp.CategorySlug]
		if !ok {
			return fmt.Errorf("seed demo product %s: category %q: %w", dp.SKU, dp.CategorySlug, commerce.ErrNotFound)
		}
		p := dp.Product
		p.CategoryID = id
		if err := p.Validate(); err != nil {
			return fmt.Errorf("seed demo product: %w", err)
		}
		if _, err := s.UpsertProduct(ctx, p); err != nil {
			return fmt.Errorf("seed demo product %s: %w", p.SKU, err)
		}
	}
	for _, pp := range PickupPoints() {
		if _, err := s.UpsertPickupPoint(ctx, pp); err != nil {
			return fmt.Errorf("seed demo pickup point %s: %w", pp.Code, err)
		}
	}
	if ps, ok := s.(profileStore); ok {
		if err := seedProfile(ctx, ps); err != nil {
			return err
		}
	}
	return nil
}

// profileStore keeps the shop's profile (commerce.ShopSetupStore does).
type profileStore interface {
	UpdateShopProfile(ctx context.Context, edit func(*commerce.ShopProfile) error) (commerce.ShopProfile, error)
}

// ShopName is the demo shop's name.
const ShopName = "环球优选 Global Picks"

// seedProfile gives a shop not set up the demo's profile: a CNY shop in
// Shanghai speaking the three languages (its welcome the built-in one).
// A profile the seller set is left as it is.
func seedProfile(ctx context.Context, s profileStore) error {
	_, err := s.UpdateShopProfile(ctx, func(p *commerce.ShopProfile) error {
		if p.Configured() {
			return nil
		}
		*p = commerce.ShopProfile{Name: ShopName, Languages: []string{"zh-CN", "en", "ru"}, DefaultLang: "zh-CN",
			TimeZone: "Asia/Shanghai", Region: "CN", Currency: "CNY", ContactHours: "Mo-Su 10:00-21:00"}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed demo shop profile: %w", err)
	}
	return nil
}
