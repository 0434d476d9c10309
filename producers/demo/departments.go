package demo

import (
	"fmt"
	"strings"

	"github.com/keyproject/kpp/schema"
)

// area is a city, county or district of the seed's regions: the prefix of
// its departments' ids and the name they carry.
type area struct {
	region string // as in the seed, e.g. 丽水市庆元县
	prefix string // department id prefix, e.g. qy
	name   string // government name, e.g. 庆元县
	city   bool   // a city-level government (委员会 instead of 局 for some)
}

// areas are the regions that occur in seed-projects.json. The level of a
// department follows its region (shared/data/README.md).
var areas = []area{
	{"丽水市庆元县", "qy", "庆元县", false},
	{"丽水市", "ls", "丽水市", true},
	{"金华市永康市", "yk", "永康市", false},
	{"丽水市缙云县", "jy", "缙云县", false},
	{"丽水市景宁畲族自治县", "jn", "景宁畲族自治县", false},
	{"丽水市松阳县", "sy", "松阳县", false},
	{"丽水市青田县", "qt", "青田县", false},
	{"丽水市遂昌县", "sc", "遂昌县", false},
	{"丽水市云和县", "yh", "云和县", false},
	// A project of two counties is led by the first.
	{"丽水市云和县、景宁畲族自治县", "yh", "云和县", false},
	{"丽水市龙泉市", "lq", "龙泉市", false},
	{"丽水市莲都区", "ld", "莲都区", false},
	{"衢州市", "qz", "衢州市", true},
	{"温州市瓯海区", "oh", "瓯海区", false},
	{"宁波市（宁波保税区）", "nbbsq", "宁波保税区", false},
}

func areaOf(region string) (area, error) {
	for _, a := range areas {
		if a.region == region {
			return a, nil
		}
	}
	known := make([]string, len(areas))
	for i, a := range areas {
		known[i] = a.region
	}
	return area{}, fmt.Errorf("%w: %s: region %q has no departments in the demo; expected one of %s", ErrSeed, seedFile, region, strings.Join(known, ", "))
}

// department is a responsible department: id and name.
type department struct{ id, name string }

// office is a kind of department: the code in its id and its title.
type office struct{ code, title string }

// offices are the departments the seed implies, by the short name it uses
// (shared/data/README.md: 交通运输局, 水利局, 发改局 for energy, …), with
// the code and full title the demo gives them.
var offices = map[string]office{
	"交通运输局": {"jtj", "交通运输局"},
	"水利局":   {"slj", "水利局"},
	"发改局":   {"fgj", "发展和改革局"},
	"住建局":   {"zjj", "住房和城乡建设局"},
	"经信局":   {"jxj", "经济和信息化局"},
	"教育局":   {"jyj", "教育局"},
	"卫健局":   {"wjj", "卫生健康局"},
	"民政局":   {"mzj", "民政局"},
	"文广旅体局": {"wgltj", "文化和广电旅游体育局"},
	"农业农村局": {"nyncj", "农业农村局"},
	"生态环境局": {"sthjj", "生态环境局"},
	// Ouhai's construction bodies (瓯海区交建办, 高铁办).
	"交建办": {"jjb", "交通建设办公室"},
	"高铁办": {"gtb", "高铁建设办公室"},
}

// cityOffices are the titles a city-level government gives instead.
var cityOffices = map[string]office{
	"fgj": {"fgw", "发展和改革委员会"},
	"wjj": {"wjw", "卫生健康委员会"},
}

// statedOffices give the departments the sources name (8+8 mechanism of
// Qingyuan 2018) an id; their names are kept verbatim.
var statedOffices = map[string]string{
	"庆元县兰溪桥扩建工程指挥部":          "qy-lxqzhb",
	"庆元县地质灾害综合治理“大搬快治”行动办公室": "qy-dbkzb",
}

// departmentFor returns the lead department of a project and whether its
// name is the source's. A department the source names (basis "stated")
// keeps its name; one the seed implies from the sector (basis "implied",
// not in the source) becomes that office of the project's region; where
// the seed names none, the demo chooses by category and name in the same
// way. The ids are always the demo's.
func departmentFor(s *seedProject, cat schema.Category) (department, bool, error) {
	if s.Department != nil && s.DepartmentBasis != nil && *s.DepartmentBasis == basisStated {
		id, ok := statedOffices[*s.Department]
		if !ok {
			return department{}, false, fmt.Errorf("%w: %s: project %s: the stated department %q has no id in the demo; expected one of the statedOffices", ErrSeed, seedFile, s.ID, *s.Department)
		}
		return department{id, *s.Department}, true, nil
	}
	a, err := areaOf(s.Region)
	if err != nil {
		return department{}, false, err
	}
	var o office
	if s.Department != nil {
		var ok bool
		if o, ok = offices[*s.Department]; !ok {
			return department{}, false, fmt.Errorf("%w: %s: project %s: the implied department %q is not one the demo knows (交通运输局, 发改局, 住建局, …)", ErrSeed, seedFile, s.ID, *s.Department)
		}
	} else if o, err = guessOffice(s, cat); err != nil {
		return department{}, false, err
	}
	if c, ok := cityOffices[o.code]; ok && a.city {
		o = c
	}
	return department{a.prefix + "-" + o.code, a.name + o.title}, false, nil
}

// guessOffice chooses a department where the seed names none, by category
// as the seed's implied departments go, and by name within public and
// industry projects.
func guessOffice(s *seedProject, cat schema.Category) (office, error) {
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(s.NameZh, w) {
				return true
			}
		}
		return false
	}
	short := ""
	switch cat {
	case schema.CategoryTransport:
		short = "交通运输局"
	case schema.CategoryWater:
		short = "水利局"
	case schema.CategoryEnergy:
		short = "发改局"
	case schema.CategoryIndustry:
		short = "经信局"
		if has("小镇") {
			short = "发改局"
		}
	case schema.CategoryPublic:
		switch {
		case has("医院"):
			short = "卫健局"
		case has("幼儿园", "中学", "学校"):
			short = "教育局"
		case has("粮食", "物资", "科创"):
			short = "发改局"
		default:
			short = "住建局"
		}
	case schema.CategoryUrban, schema.CategoryEnvironment:
		short = "住建局"
	default:
		return office{}, fmt.Errorf("%w: %s: project %s: category %q has no department in the demo", ErrSeed, seedFile, s.ID, cat)
	}
	return offices[short], nil
}
